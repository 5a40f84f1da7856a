from django.urls import path

from . import views

app_name = "sso"
urlpatterns = [
    path("sso/<str:token>", views.landing, name="landing"),
]
