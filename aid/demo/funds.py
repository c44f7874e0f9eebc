"""Demo data of the funds area (being written)."""
