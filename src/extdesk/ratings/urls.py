from django.urls import path

from . import views

app_name = "ratings"
urlpatterns = [
    # A signed customer's answer from the ticket page (the portal's session).
    path("<int:ticket_id>/", views.portal_rate, name="portal"),
    # A mailed link: no session, the token says everything.
    path("<int:ticket_id>/<str:token>/", views.link, name="link"),
]
