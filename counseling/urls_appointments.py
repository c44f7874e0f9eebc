"""URLs of the appointments area, included by counseling/urls.py (namespace "counseling")."""

urlpatterns: list = []
