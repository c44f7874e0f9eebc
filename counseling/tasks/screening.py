"""tasks of the screening area (being written)."""
