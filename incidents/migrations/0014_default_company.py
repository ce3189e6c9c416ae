"""Today's data becomes the group's first company.

One company, the default, made from the settings a single-company installation used
(COMPANY_NAME, FISCAL_YEAR_START_MONTH), holding PrivacyMark as today's reporting duties
assumed, and responsible for any jointly used data. Every department, incident and action
belongs to it; references are not touched. Schema and data are separate migrations: on
PostgreSQL, rows written in the transaction that changes a table stop its deferred
constraint creation.
"""

from django.conf import settings
from django.db import migrations


def create_default_company(apps, schema_editor):
    using = schema_editor.connection.alias
    Company = apps.get_model("incidents", "Company")
    company = Company.objects.using(using).filter(is_default=True).first()
    if company is None:
        company = Company.objects.using(using).create(
            code="MAIN",
            name=getattr(settings, "COMPANY_NAME", "") or "当社",
            is_default=True,
            holds_privacymark=True,
            joint_use_manager=True,
            fiscal_year_start_month=getattr(settings, "FISCAL_YEAR_START_MONTH", 4),
        )
    for model in ("Department", "Incident", "Action"):
        apps.get_model("incidents", model).objects.using(using).filter(company__isnull=True).update(company=company)


class Migration(migrations.Migration):

    dependencies = [("incidents", "0013_companies")]

    operations = [migrations.RunPython(create_default_company, migrations.RunPython.noop)]
