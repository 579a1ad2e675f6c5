"""Exchanges recorded against the real servers by the acceptance tier: our own test data, replayed against the
emulators by `tests/contract/`. One folder per service, one JSON file per acceptance test."""
