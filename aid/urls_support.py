"""URLs of the support area, included by aid/urls.py (namespace "aid")."""

urlpatterns: list = []
