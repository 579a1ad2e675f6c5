"""Reviewing a change before it applies: the engine's preview, grouped by tenant and integration."""
