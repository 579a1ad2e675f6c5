"""The OCIS bucket on Hetzner Object Storage through its S3 API."""
