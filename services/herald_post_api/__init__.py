"""The public JSON API under /v1, its OpenAPI docs and health endpoints."""
