from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents and actions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The one place where this app registers with the workflow engine: the transition
        # forms with more to say than the generic one.
        from . import action_origins
        from .case_forms import REQUEST_TRANSITION_FORMS
        from .complaint_forms import COMPLAINT_TRANSITION_FORMS
        from .complaint_views import complaint_origins
        from .forms import TRANSITION_FORMS
        from .workflow.forms import register_transition_form

        for forms in (TRANSITION_FORMS, REQUEST_TRANSITION_FORMS, COMPLAINT_TRANSITION_FORMS):
            for (model, name), form_class in forms.items():
                register_transition_form(model, name, form_class)
        # An action planned from a complaint names it on its page.
        action_origins.register(complaint_origins)
