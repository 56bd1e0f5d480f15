from django.urls import path

from venues import views

urlpatterns = [
    path("", views.venue_list, name="venue_list"),
    path("new/", views.venue_create, name="venue_create"),
    path("<int:pk>/", views.venue_detail, name="venue_detail"),
    path("<int:pk>/edit/", views.venue_edit, name="venue_edit"),
    path("<int:pk>/retire/", views.venue_retire, name="venue_retire"),
    path("<int:pk>/photos/", views.venue_photo_add, name="venue_photo_add"),
    path("<int:pk>/photos/<int:photo_pk>/", views.venue_photo, name="venue_photo"),
    path("<int:pk>/photos/<int:photo_pk>/thumbnail/", views.venue_photo, {"thumbnail": True},
         name="venue_photo_thumbnail"),
    path("<int:pk>/photos/<int:photo_pk>/delete/", views.venue_photo_delete, name="venue_photo_delete"),
    path("routes/", views.route_list, name="route_list"),
    path("routes/new/", views.route_create, name="route_create"),
    path("routes/<int:pk>/", views.route_detail, name="route_detail"),
    path("routes/<int:pk>/edit/", views.route_edit, name="route_edit"),
]
