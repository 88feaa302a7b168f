"""Benchmarks run on demand (`python -m bench extraction|throughput|warehouse`); each prints a table.

Results are reported as ratios against baselines measured in the same run, since absolute times drift on a
shared machine. Nothing here is a timed unit test.
"""
