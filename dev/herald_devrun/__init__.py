"""Local development: finding or starting Postgres and Redis, and running every service."""
