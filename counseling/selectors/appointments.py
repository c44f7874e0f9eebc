"""selectors of the appointments area (being written)."""
