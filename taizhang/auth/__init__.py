"""Users, roles, API tokens and the permission each route declares."""
