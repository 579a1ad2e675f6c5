"""Pulumi components, one package per service: its client, its dynamic provider and its component."""
