from django.urls import path

from aid import urls_funds, urls_identification, urls_support
from aid.views import core

app_name = "aid"
urlpatterns = [
    path("", core.index, name="index"),
    *urls_identification.urlpatterns,
    *urls_funds.urlpatterns,
    *urls_support.urlpatterns,
]
