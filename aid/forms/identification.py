"""forms of the identification area (being written)."""
