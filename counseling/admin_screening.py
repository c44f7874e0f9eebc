"""Admin of the screening area, imported by counseling/admin.py."""
