"""services of the screening area (being written)."""
