"""Oversight's benchmark: `make bench` runs `python -m bench.run` (see bench/run.py).

bench.stats holds the arithmetic and the report, bench.measure what is measured inside Django,
bench.urls the project's URLs plus the stock admin the changelist is compared with.
"""
