from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from portal import panels
        from portal.signals import demo_seeded, version_saved

        from . import receivers, views

        version_saved.connect(receivers.drop_conflicted_assignments, dispatch_uid="reviews.drop_conflicted_assignments")
        post_save.connect(receivers.drop_assignments_conflicted_by_email, sender=get_user_model(),
                          dispatch_uid="reviews.drop_assignments_conflicted_by_email")
        demo_seeded.connect(receivers.put_demo_reviewer_on_the_panel, dispatch_uid="reviews.demo_reviewer")
        panels.register(views.feedback_panel, order=30)
