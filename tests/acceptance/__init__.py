"""The acceptance tier: the providers against the real Authentik, Stalwart and OCIS (opt-in, see README.md)."""
