from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/signup/", views.signup, name="signup"),
    path("submissions/", views.submission_list, name="submission-list"),
    path("contests/<slug:contest_slug>/submit/", views.submission_create, name="submission-create"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    path("submissions/<int:pk>/edit/", views.submission_edit, name="submission-edit"),
    path("submissions/<int:pk>/versions/<int:number>/download/", views.version_download,
         name="version-download"),
]
