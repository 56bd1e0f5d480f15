from django.urls import path

from training.imports import log_views, views

urlpatterns = [
    path("members/import/", views.member_import_upload, name="member_import"),
    path("members/import/template.xlsx", views.member_import_template, name="member_import_template"),
    path("members/import/<int:job_id>/", views.member_import_job, name="member_import_job"),
    path("members/import/<int:job_id>/commit/", views.member_import_commit, name="member_import_commit"),
    path("sessions/<int:pk>/import/", log_views.import_upload, name="import_upload"),
    path("sessions/<int:pk>/import/<int:job_id>/", log_views.import_job, name="import_job"),
    path("sessions/<int:pk>/import/<int:job_id>/commit/", log_views.import_commit, name="import_commit"),
    path("imports/template.csv", log_views.import_template, name="import_template"),
]
