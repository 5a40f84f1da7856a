from django.urls import path

from . import views

app_name = "demo"
urlpatterns = [
    path("", views.persons, name="persons"),
    path("<int:platform_id>/<str:act>/", views.open_helpdesk, name="open"),
]
