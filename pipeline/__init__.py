"""newsmon: Russia–Iran news-monitoring pipeline."""
