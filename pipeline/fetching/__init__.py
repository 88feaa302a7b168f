"""Fetching: the HTTP client and its network guard, robots.txt, feed parsing, URL normalization."""
