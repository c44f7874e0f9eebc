"""views of the funds area (being written)."""
