"""A stand-in for the four platforms' HTTP APIs, on loopback, for the demo, tests and benchmarks."""
