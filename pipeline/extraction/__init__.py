"""Extraction: article text and metadata from a fetched page, cleaned."""
