"""Benchmarks (``make bench``): JSON results and plots under bench/results/."""
