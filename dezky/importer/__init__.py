"""`dezky import`: a customer that already exists in Authentik, Stalwart and OCIS, written as its tenant file.

Data flows one way here too: `read.py` asks the services (read calls only) and returns what it found as the
typed snapshot of `found.py`; `mapping.py` turns the snapshot into tenant-file data and the list of what the
file cannot express (pure); `render.py` writes the commented YAML; `cli.py` checks it with the loader every
tenant file goes through and writes it. The objects the program derives from the file (groups, brand,
applications, DNS records) are not written to it: the providers adopt them when they are identical.
"""
