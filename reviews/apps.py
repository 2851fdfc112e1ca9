from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from portal import panels
        from portal.signals import version_saved

        from . import receivers, views

        version_saved.connect(receivers.drop_conflicted_assignments, dispatch_uid="reviews.drop_conflicted_assignments")
        panels.register(views.feedback_panel, order=30)
