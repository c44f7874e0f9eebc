"""support tasks (being written)."""
