from django.urls import path

from aid import views

app_name = "aid"
urlpatterns = [path("", views.index, name="index")]
