"""selectors of the activities area (being written)."""
