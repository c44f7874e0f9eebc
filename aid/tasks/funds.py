"""funds tasks (being written)."""
