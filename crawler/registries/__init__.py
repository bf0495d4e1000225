"""Registry sources: enumerate the MCP servers that registries list, politely and resumably."""
