from django.urls import path

from . import timezones

app_name = "web"
urlpatterns = [
    path("preferences/time-zone/", timezones.set_time_zone, name="time_zone"),
]
