"""Herald's shared Postgres schema: models, migrations, sessions and the shared queries."""
