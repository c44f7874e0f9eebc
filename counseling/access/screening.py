"""access of the screening area (being written)."""
