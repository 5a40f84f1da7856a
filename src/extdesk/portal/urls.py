from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/new/", views.new_ticket, name="new_ticket"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:number>/close/", views.close_ticket, name="close"),
    path("tickets/<int:number>/reopen/", views.reopen_ticket, name="reopen"),
    path("tickets/<int:number>/copies/add/", views.copy_add, name="copy_add"),
    path("tickets/<int:number>/copies/remove/", views.copy_remove, name="copy_remove"),
    path("files/<int:pk>/thumbnail", views.thumbnail, name="thumbnail"),
    path("files/<int:pk>/<str:name>", views.attachment, name="attachment"),
    path("sign-out/", views.sign_out, name="sign_out"),
]
