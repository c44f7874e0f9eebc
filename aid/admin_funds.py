"""Admin of the funds area."""
