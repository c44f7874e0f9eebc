"""forms of the support area (being written)."""
