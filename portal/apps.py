from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Contest"

    def ready(self) -> None:
        from . import notifications, signals

        signals.version_saved.connect(notifications.version_validated, dispatch_uid="portal.version_validated")
