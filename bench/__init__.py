"""Benchmarks: they print figures and ratios against a named peer; they never assert timings."""
