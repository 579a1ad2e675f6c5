"""Every path that could destroy customer data, closed at its root (issue 10's classes)."""
