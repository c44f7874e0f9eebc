"""services of the funds area (being written)."""
