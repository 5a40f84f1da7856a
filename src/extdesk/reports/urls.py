from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report, name="report"),
    path("<slug:dataset>.csv", views.report_csv, name="csv"),
]
