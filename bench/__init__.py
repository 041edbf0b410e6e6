"""Benchmarks behind ``make bench`` (``python -m bench``). They print a table; tests never time."""
