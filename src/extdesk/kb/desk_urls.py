from django.urls import path

from . import desk_views, link_views

app_name = "kb_desk"

urlpatterns = [
    path("", desk_views.article_list, name="list"),
    path("new/", desk_views.article_create, name="create"),
    path("links/", link_views.link_search, name="links"),
    path("links/tickets/<int:number>/", link_views.link_insert, name="link_insert"),
    path("categories/", desk_views.category_list, name="categories"),
    path("categories/<int:pk>/", desk_views.category_change, name="category_change"),
    path("<int:pk>/", desk_views.article_edit, name="edit"),
    path("<int:pk>/state/", desk_views.article_state, name="state"),
    path("<int:pk>/delete/", desk_views.article_delete, name="delete"),
    path("<int:pk>/images/", desk_views.image_upload, name="image_upload"),
    path("<int:pk>/revisions/", desk_views.revision_list, name="revisions"),
    path("<int:pk>/revisions/<int:number>/", desk_views.revision_diff, name="revision"),
    path("<int:pk>/revisions/<int:number>/restore/", desk_views.revision_restore, name="restore"),
]
