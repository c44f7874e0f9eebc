"""services of the activities area (being written)."""
