"""URLs of the identification area, included by aid/urls.py (namespace "aid")."""

urlpatterns: list = []
