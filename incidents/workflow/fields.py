"""The state column of every record type that moves through a state machine."""

from django_fsm import FSMField


class StateField(FSMField):
    """django-fsm-2's FSMField, written in the migrations as the plain CharField it is.

    In the database a state is a varchar like any other; the transitions and the protection
    against `record.state = …` belong to the live model only. Migrations re-create their
    historical models many times over (every AddField re-renders the models related to the
    one it changes), and each FSMField among them connects one more `class_prepared` receiver
    that then runs for every model rendered after it: on a fresh database, `migrate` spent 17
    of its 37 seconds there. As a CharField in the migrations, the historical models cost
    what any other column costs; the live models keep the full FSMField.
    """

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("protected", None)
        return name, "django.db.models.CharField", args, kwargs
