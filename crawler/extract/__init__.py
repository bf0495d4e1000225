"""Static extractors: tool definitions read from source code without running it."""
