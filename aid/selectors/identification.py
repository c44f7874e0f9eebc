"""selectors of the identification area (being written)."""
