from django.urls import path

from . import dashboard_views, views

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/refresh/", dashboard_views.refresh, name="coverage_refresh"),
    path("dashboard/runs/<int:pk>/", dashboard_views.refresh_status, name="coverage_refresh_status"),
    path("dashboard/not-reached/<int:pk>/", dashboard_views.not_reached, name="not_reached"),
    path("reports/coverage.json", dashboard_views.coverage_json, name="coverage_json"),
    path("reports/coverage.xlsx", dashboard_views.coverage_export, name="coverage_export"),
    path("reports/summary.docx", dashboard_views.summary_docx, name="coverage_summary_docx"),
    path("branch/", views.my_branch, name="my_branch"),
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("orgs/<int:pk>/", views.organisation_detail, name="organisation_detail"),
]
