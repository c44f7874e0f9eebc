"""access of the identification area (being written)."""
