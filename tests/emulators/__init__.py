"""Local, stateful stand-ins for APIs we cannot run in tests, each checked against the vendor's own spec."""
