"""Dezky tenants-as-code: tenant declarations, their validation and the operator's CLI."""
