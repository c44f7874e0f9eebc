"""Demo data of the identification area (being written)."""
