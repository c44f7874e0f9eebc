"""Campus single sign-on (CAS): sign-in, the server's single-logout POST, the 'not in the portal yet' page."""

urlpatterns: list = []
