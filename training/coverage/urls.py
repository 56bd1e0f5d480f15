from django.urls import path

from training.coverage import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/refresh/", views.refresh, name="coverage_refresh"),
    path("dashboard/runs/<int:pk>/", views.refresh_status, name="coverage_refresh_status"),
    path("dashboard/not-reached/<int:pk>/", views.not_reached, name="not_reached"),
    path("reports/coverage.json", views.coverage_json, name="coverage_json"),
    path("reports/coverage.xlsx", views.coverage_export, name="coverage_export"),
    path("reports/summary.docx", views.summary_docx, name="coverage_summary_docx"),
]
