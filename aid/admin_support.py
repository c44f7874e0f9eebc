"""Admin of the support area."""
