"""URLs of the activities area, included by counseling/urls.py (namespace "counseling")."""

urlpatterns: list = []
