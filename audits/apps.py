from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = _("Internal audits")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Everything the audits app plugs into the incidents app, in one place (audits
        # depends on incidents, never the reverse). Transitions and edits need nothing:
        # the models declare them.
        from incidents import action_origins
        from incidents import attachments as evidence

        from . import attachments, review_views, views

        action_origins.register(views.finding_origins)
        action_origins.register(review_views.review_origins)
        for rules in attachments.ATTACHMENT_RULES:
            evidence.register(**rules)
