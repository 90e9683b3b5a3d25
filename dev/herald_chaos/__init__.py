"""The chaos run: the whole pipeline as real processes under kills, an emptied Redis,
Postgres connections cut and a simulator that fails on purpose; then a count of what went
out twice and what was lost (``make chaos``; a short run is part of the test suite)."""
