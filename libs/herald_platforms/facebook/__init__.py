"""Facebook Pages (Graph API) adapter."""
