"""tasks of the appointments area (being written)."""
