"""identification tasks (being written)."""
