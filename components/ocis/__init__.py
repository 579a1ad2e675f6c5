"""Files for tenants: OCIS project spaces with quotas and members, over the Libre Graph API."""
