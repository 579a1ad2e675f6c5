"""The Hetzner estate the tenants run on, described in the same Pulumi program as the tenants.

One dedicated AX41-NVMe ordered by hand (reverse DNS and firewall through the Robot webservice), Object Storage
for OCIS (through its S3 API) and two BX11 Storage Boxes for restic backups and disaster recovery (through the
Storage Box API). `estate.py` assembles them from the stack's `dezky:estate` settings; each service folder holds
its `client.py` (HTTP only) and `provider.py` (the Pulumi dynamic provider), as `components/` does.
"""
