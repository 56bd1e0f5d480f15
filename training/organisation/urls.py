from django.urls import path

from training.organisation import views

urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("orgs/<int:pk>/", views.organisation_detail, name="organisation_detail"),
]
