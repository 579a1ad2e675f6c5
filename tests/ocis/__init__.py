"""OCIS: the Libre Graph client, the space provider and the TenantFiles component."""
