"""Side-by-side benchmarks of python-router against the recipe's naive loop and kafka-python's own ceilings.

Run `make bench` (or `.venv/bin/python -m bench --help`); docs/benchmarks.md explains the method and the figures.
"""
