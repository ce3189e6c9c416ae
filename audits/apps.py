from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = _("Internal audits")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Audits and findings take their steps through the same transition service as
        # incidents and actions: register their transitions with it (audits depends on
        # incidents, never the reverse).
        from . import services  # noqa: F401
