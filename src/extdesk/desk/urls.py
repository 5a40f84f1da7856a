from django.urls import path

from . import views

app_name = "desk"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:number>/update/", views.ticket_update, name="ticket_update"),
    path("mail/held/", views.held_mail, name="held_mail"),
    path("mail/<int:pk>/", views.inbound_mail, name="inbound_mail"),
    path("mail/<int:pk>.eml", views.inbound_eml, name="inbound_eml"),
    path("mail/<int:pk>/release/", views.release_mail, name="release_mail"),
    path("mail/<int:pk>/delete/", views.delete_mail, name="delete_mail"),
]
