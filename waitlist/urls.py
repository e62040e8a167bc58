from django.urls import path

from . import views

app_name = "waitlist"
urlpatterns = [
    path("waitlist/offer/<int:promotion_id>/", views.join_offer, name="join_offer"),
    path("waitlist/day/<date:day>/", views.join_day, name="join_day"),
    path("waitlist/joined/", views.joined, name="joined"),
    path("waitlist/claim/<str:token>/", views.offer, name="offer"),
    path("waitlist/claim/<str:token>/decline/", views.decline, name="decline"),
    path("waitlist/leave/<str:token>/", views.leave, name="leave"),
    path("waitlist/details/<str:token>/", views.details, name="details"),
]
