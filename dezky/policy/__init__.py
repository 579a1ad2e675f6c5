"""The platform's policy pack: rules the Pulumi engine enforces on every preview and up (see `policy/`)."""
