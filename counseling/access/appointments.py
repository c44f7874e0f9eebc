"""access of the appointments area (being written)."""
