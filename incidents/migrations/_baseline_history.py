"""A first history row for records that existed before their history was kept.

Without it, an edit from the version a record had then could not say what changed since.
Used by the migrations that start keeping the history (incidents 0008, audits 0004).
"""

from django.utils import timezone


def baseline(app_label: str, *model_names: str):
    def forwards(apps, schema_editor):
        now = timezone.now()
        for name in model_names:
            model = apps.get_model(app_label, name)
            historical = apps.get_model(app_label, f"Historical{name}")
            names = {field.attname for field in historical._meta.concrete_fields}
            rows = [
                historical(
                    **{field.attname: getattr(record, field.attname) for field in model._meta.concrete_fields
                       if field.attname in names},
                    history_date=now, history_type="~", history_change_reason="history starts",
                )
                for record in model.objects.all().iterator()
            ]
            historical.objects.bulk_create(rows, batch_size=500)

    return forwards
