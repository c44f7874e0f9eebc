"""URLs of the screening area, included by counseling/urls.py (namespace "counseling")."""

urlpatterns: list = []
