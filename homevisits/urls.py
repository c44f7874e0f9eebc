from django.urls import path

from homevisits import views

app_name = "homevisits"
urlpatterns = [path("", views.index, name="index")]
