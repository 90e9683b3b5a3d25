"""The scheduler: hands due posts, due retries and lost work to the publisher, on time."""
