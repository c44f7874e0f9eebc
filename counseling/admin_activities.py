"""Admin of the activities area, imported by counseling/admin.py."""
