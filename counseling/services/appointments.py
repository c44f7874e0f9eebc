"""services of the appointments area (being written)."""
