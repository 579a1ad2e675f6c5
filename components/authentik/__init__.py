"""Authentik: each tenant's brand, groups, users and OAuth2 applications (client, providers, component)."""
