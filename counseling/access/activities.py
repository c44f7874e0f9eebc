"""access of the activities area (being written)."""
