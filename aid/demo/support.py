"""Demo data of the support area (being written)."""
