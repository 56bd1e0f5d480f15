from django.urls import path

from lectures import views

urlpatterns = [
    path("", views.lecture_list, name="lecture_list"),
    path("new/", views.lecture_new, name="lecture_new"),
    path("<int:pk>/", views.lecture_detail, name="lecture_detail"),
    path("<int:pk>/edit/", views.lecture_edit, name="lecture_edit"),
    path("<int:pk>/delete/", views.lecture_delete, name="lecture_delete"),
    path("<int:pk>/members/", views.lecture_members, name="lecture_members"),
    path("<int:pk>/photos/", views.lecture_photos, name="lecture_photos"),
    path("<int:pk>/feedback-qr.png", views.lecture_qr, name="lecture_qr"),
    path("f/<str:token>/", views.feedback, name="lecture_feedback"),
    path("lecturers/", views.lecturer_list, name="lecturer_list"),
    path("lecturers/new/", views.lecturer_new, name="lecturer_new"),
    path("lecturers/<int:pk>/", views.lecturer_detail, name="lecturer_detail"),
    path("lecturers/<int:pk>/edit/", views.lecturer_edit, name="lecturer_edit"),
    path("requests/", views.request_list, name="lecture_request_list"),
    path("requests/new/", views.request_new, name="lecture_request_new"),
    path("requests/<int:pk>/", views.request_detail, name="lecture_request_detail"),
    path("requests/<int:pk>/dispatch/", views.request_dispatch, name="lecture_request_dispatch"),
    path("requests/<int:pk>/accept/", views.request_accept, name="lecture_request_accept"),
    path("requests/<int:pk>/decline/", views.request_decline, name="lecture_request_decline"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="lecture_request_cancel"),
    path("volunteering/", views.volunteer_list, name="volunteer_list"),
    path("volunteering/new/", views.volunteer_new, name="volunteer_new"),
    path("reports/", views.report, name="lecture_report"),
    path("reports/figures.json", views.report_json, name="lecture_report_json"),
    path("reports/lectures.xlsx", views.report_xlsx, name="lecture_report_xlsx"),
]
