"""views of the support area (being written)."""
