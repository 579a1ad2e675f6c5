"""Mail for tenants on Stalwart 0.16: a typed JMAP client, dynamic providers (domains, accounts, lists), component."""
