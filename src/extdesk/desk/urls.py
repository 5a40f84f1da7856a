from django.urls import path

from . import bulk_views, canned_views, copy_views, merge_views, sla_views, tag_views, views

app_name = "desk"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:number>/update/", views.ticket_update, name="ticket_update"),
    path("tickets/<int:number>/presence/", views.ticket_presence, name="ticket_presence"),
    path("profile/", views.profile, name="profile"),
    path("mail/held/", views.held_mail, name="held_mail"),
    path("mail/<int:pk>/", views.inbound_mail, name="inbound_mail"),
    path("mail/<int:pk>.eml", views.inbound_eml, name="inbound_eml"),
    path("mail/<int:pk>/release/", views.release_mail, name="release_mail"),
    path("mail/<int:pk>/delete/", views.delete_mail, name="delete_mail"),
    path("bulk/", bulk_views.bulk, name="bulk"),
    path("tickets/<int:number>/assign-to-me/", bulk_views.assign_to_me, name="assign_to_me"),
    path("tickets/<int:number>/tags/add/", tag_views.tag_add, name="tag_add"),
    path("tickets/<int:number>/tags/remove/", tag_views.tag_remove, name="tag_remove"),
    path("tickets/<int:number>/copies/add/", copy_views.copy_add, name="copy_add"),
    path("tickets/<int:number>/copies/remove/", copy_views.copy_remove, name="copy_remove"),
    path("tickets/<int:number>/merge/", merge_views.merge, name="merge"),
    path("tickets/<int:number>/canned/", canned_views.canned_insert, name="canned_insert"),
    path("tickets/<int:number>/canned/<int:pk>/", canned_views.canned_text, name="canned_text"),
    path("canned/", canned_views.canned_list, name="canned_list"),
    path("canned/new/", canned_views.canned_create, name="canned_create"),
    path("canned/<int:pk>/edit/", canned_views.canned_edit, name="canned_edit"),
    path("canned/<int:pk>/delete/", canned_views.canned_delete, name="canned_delete"),
    path("sla/", sla_views.sla_settings, name="sla"),
    path("sla/targets/", sla_views.sla_policies, name="sla_policies"),
    path("sla/hours/", sla_views.sla_calendar, name="sla_calendar"),
    path("sla/holidays/", sla_views.sla_holiday_add, name="sla_holiday_add"),
    path("sla/holidays/<int:pk>/remove/", sla_views.sla_holiday_remove, name="sla_holiday_remove"),
]
