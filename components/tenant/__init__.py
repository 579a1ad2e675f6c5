"""The Tenant component: one per tenant file, owning one child component per integration."""
