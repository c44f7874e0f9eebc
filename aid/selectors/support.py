"""selectors of the support area (being written)."""
