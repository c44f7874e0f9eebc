"""demo of the screening area (being written)."""
