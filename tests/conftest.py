"""Fixtures shared by every test folder, registered once here."""

pytest_plugins = ["tests.fixtures.powerdns", "tests.emulators.hetzner_dns"]
