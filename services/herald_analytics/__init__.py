"""The analytics service: fetches post metrics after publishing and keeps best-time data."""
