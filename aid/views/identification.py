"""views of the identification area (being written)."""
