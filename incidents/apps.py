from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents and actions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The one place where this app registers with the workflow engine: the transition
        # forms with more to say than the generic one.
        from .forms import TRANSITION_FORMS
        from .workflow.forms import register_transition_form

        for (model, name), form_class in TRANSITION_FORMS.items():
            register_transition_form(model, name, form_class)
