"""Repositories: the SQL that more than one service runs. They flush, never commit."""
