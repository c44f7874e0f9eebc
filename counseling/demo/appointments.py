"""demo of the appointments area (being written)."""
