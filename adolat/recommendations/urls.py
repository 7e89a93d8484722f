from django.urls import path

from . import views, views_imports

app_name = "recommendations"
urlpatterns = [
    path("", views.recommendation_list, name="list"),
    path("recommendations/<int:pk>/", views.recommendation_detail, name="detail"),
    path("recommendations/export.<slug:fmt>", views.recommendation_export, name="export"),
    path("imports/", views_imports.import_list, name="import-list"),
    path("imports/<int:pk>/", views_imports.import_detail, name="import-detail"),
    path("imports/<int:pk>/confirm/", views_imports.import_confirm, name="import-confirm"),
    path("imports/<int:pk>/cancel/", views_imports.import_cancel, name="import-cancel"),
    path("imports/near-matches/", views_imports.near_match_list, name="near-matches"),
    path("imports/near-matches/<int:pk>/", views_imports.near_match_decide, name="near-match-decide"),
]
