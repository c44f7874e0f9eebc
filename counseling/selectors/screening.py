"""selectors of the screening area (being written)."""
