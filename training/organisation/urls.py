from django.urls import path

from training.organisation import audit_views, views

urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/<int:pk>/phone/", views.member_phone, name="member_phone"),
    path("orgs/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/export.xlsx", audit_views.audit_export, name="audit_export"),
]
