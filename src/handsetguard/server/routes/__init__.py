"""HTTP routes, one module per domain; each handler opens one transaction and calls the
service layer."""
