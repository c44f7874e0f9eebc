"""tasks of the activities area (being written)."""
