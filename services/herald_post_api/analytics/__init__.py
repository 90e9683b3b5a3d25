"""Analytics reports: one post across its platforms, the weekly summary, best times."""
