"""DNS for tenants: the records a tenant needs, two backends (PowerDNS, Hetzner Cloud DNS), providers, component."""
