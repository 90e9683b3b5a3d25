"""Instagram (Instagram Login, graph.instagram.com) adapter."""
