"""Today's audits and findings belong to the default company; today's reviews become its
reviews (none of them covered a group). Schema and data are separate migrations (see
incidents 0014)."""

from django.db import migrations


def to_default_company(apps, schema_editor):
    using = schema_editor.connection.alias
    company = apps.get_model("incidents", "Company").objects.using(using).get(is_default=True)
    for model in ("Audit", "Finding", "Review"):
        apps.get_model("audits", model).objects.using(using).filter(company__isnull=True).update(company=company)


class Migration(migrations.Migration):

    dependencies = [("audits", "0007_company"), ("incidents", "0014_default_company")]

    operations = [migrations.RunPython(to_default_company, migrations.RunPython.noop)]
