"""access of the support area (being written)."""
