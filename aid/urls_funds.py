"""URLs of the funds area, included by aid/urls.py (namespace "aid")."""

urlpatterns: list = []
