"""The AX41 through the Robot webservice: the server itself, its reverse DNS and its firewall."""
