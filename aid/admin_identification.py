"""Admin of the identification area."""
