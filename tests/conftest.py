"""Fixtures shared by every test folder, registered once here."""

pytest_plugins = [
    "tests.fixtures.powerdns",
    "tests.emulators.hetzner_dns",
    "tests.emulators.ocis",
    "tests.emulators.authentik",
    "tests.emulators.stalwart",
    "tests.fixtures.openssh",
    "tests.fixtures.s3",
    "tests.emulators.robot",
    "tests.emulators.storage_box",
]
