"""The emulators held to the real servers: every recording in `tests/recordings/` replayed against them."""
