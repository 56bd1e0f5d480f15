from django.urls import path

from training.attendance import branch_views

urlpatterns = [
    path("branch/", branch_views.my_branch, name="my_branch"),
    path("members/<int:pk>/", branch_views.member_detail, name="member_detail"),
    # Branch secretaries: attendance and organisational life.
    path("sessions/<int:pk>/roster/", branch_views.roster, name="roster"),
    path("sessions/<int:pk>/roster/mark/", branch_views.roster_mark, name="roster_mark"),
    path("sessions/<int:pk>/poster.png", branch_views.poster, name="session_poster"),
    path("sessions/<int:pk>/rotate-token/", branch_views.rotate_token, name="rotate_token"),
    path("c/<str:token>/", branch_views.checkin, name="checkin"),
    path("branch/makeup/", branch_views.makeup_list, name="makeup_list"),
    path("branch/makeup/action/", branch_views.makeup_action, name="makeup_action"),
    path("branch/home-study/", branch_views.home_study, name="home_study"),
    path("branch/meetings/new/", branch_views.meeting_new, name="meeting_new"),
    path("branch/compliance/", branch_views.compliance, name="compliance"),
    path("branch/ledger/", branch_views.ledger, name="ledger"),
    path("branch/ledger.xlsx", branch_views.ledger_xlsx, name="ledger_xlsx"),
]
