"""Stories: near-duplicate detection (MinHash) that groups copies of one text."""
