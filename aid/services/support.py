"""services of the support area (being written)."""
