"""LinkedIn (Posts API) adapter."""
