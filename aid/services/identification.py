"""services of the identification area (being written)."""
