"""Runs: a live run over the feeds, a replay of the archive, paged archive history, a retag."""
