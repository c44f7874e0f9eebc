"""demo of the activities area (being written)."""
