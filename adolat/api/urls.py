"""API v1, included by adolat/urls.py as `path("api/v1/", include("adolat.api.urls"))`."""

from django.urls import path

from .api import api

urlpatterns = [path("", api.urls)]
