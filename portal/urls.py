from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", RedirectView.as_view(url=static("portal/favicon.svg"), permanent=True), name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", include("portal.api")),
    path("api/", include("evaluation.api")),
    path("", include("evaluation.urls")),
    path("api/", include("reviews.api")),
    path("api/partner/", include("partners.api")),
    path("", include("reviews.urls")),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/confirm-email/", views.confirmation_status, name="confirmation-status"),
    path("accounts/confirm-email/<str:uidb64>/<str:token>/", views.confirm_email, name="confirm-email"),
    path("submissions/", views.submission_list, name="submission-list"),
    path("contests/<slug:contest_slug>/submit/", views.submission_create, name="submission-create"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    path("submissions/<int:pk>/edit/", views.submission_edit, name="submission-edit"),
    path("submissions/<int:pk>/versions/<int:number>/download/", views.version_download,
         name="version-download"),
]

# The portal's own pages for errors (JSON under /api/); see portal/errors.py.
handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"
