from django.urls import path

from training.programmes import course_views, enrolment_views, feed_views, schedule_views, views

urlpatterns = [
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/calendar/", schedule_views.session_calendar, name="session_calendar"),
    path("sessions/new/", schedule_views.session_create, name="session_create"),
    path("sessions/series/new/", schedule_views.series_create, name="series_create"),
    path("sessions/<int:pk>/edit/", schedule_views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/reschedule/", schedule_views.session_reschedule, name="session_reschedule"),
    path("sessions/<int:pk>/cancel/", schedule_views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/enrol/", enrolment_views.session_enrol, name="session_enrol"),
    path("sessions/<int:pk>/enrolments/", enrolment_views.session_enrolments, name="session_enrolments"),
    path(
        "sessions/<int:pk>/enrolments/<int:enrolment_pk>/withdraw/", enrolment_views.enrolment_withdraw,
        name="enrolment_withdraw",
    ),
    path("sessions/<int:pk>/signin/", enrolment_views.session_signin_sheet, name="session_signin_sheet"),
    path(
        "sessions/<int:pk>/signin.xlsx", enrolment_views.session_signin_sheet, {"fmt": "xlsx"},
        name="session_signin_xlsx",
    ),
    path("sessions/<int:pk>/quotas/", enrolment_views.session_quotas, name="session_quotas"),
    path("courses/", course_views.course_list, name="course_list"),
    path("courses/new/", course_views.course_create, name="course_create"),
    path("courses/<int:pk>/edit/", course_views.course_edit, name="course_edit"),
    path("courses/precision/", course_views.precision_view, name="precision_view"),
    path("programmes/new/", course_views.programme_create, name="programme_create"),
    path("calendars/", feed_views.calendar_feeds, name="calendar_feeds"),
    path("calendars/<int:pk>/revoke/", feed_views.calendar_feed_revoke, name="calendar_feed_revoke"),
    path("calendars/<str:token>.ics", feed_views.calendar_feed, name="calendar_feed"),
]
