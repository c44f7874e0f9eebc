"""forms of the funds area (being written)."""
