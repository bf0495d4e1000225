"""Turning crawl targets into records: sources, static extractors, the shared HTTP client."""
