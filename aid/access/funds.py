"""access of the funds area (being written)."""
