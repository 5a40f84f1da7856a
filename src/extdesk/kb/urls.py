from django.urls import path

from . import views

app_name = "kb"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    # Under search/ so that no article's slug can take its address.
    path("search/suggestions/", views.suggestions, name="suggestions"),
    path("category/<slug:slug>/", views.category, name="category"),
    path("images/<int:pk>/<str:name>", views.image, name="image"),
    path("<slug:slug>/", views.article, name="article"),
    path("<slug:slug>/vote/", views.vote, name="vote"),
]
