"""Storage Boxes and their subaccounts through the Storage Box API (api.hetzner.com)."""
