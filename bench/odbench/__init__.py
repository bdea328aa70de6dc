"""The measuring half of `make bench` (see bench/bench.py and bench/README.md)."""
