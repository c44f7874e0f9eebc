"""Admin of the appointments area, imported by counseling/admin.py."""
