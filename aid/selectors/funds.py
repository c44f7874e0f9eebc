"""selectors of the funds area (being written)."""
