"""The reporting rules in force since mandatory reporting began, and since the 2024 amendment."""

import datetime as dt

from django.db import migrations

SOURCES = (
    "個人情報保護法 第26条; 施行規則 第7条・第8条・第10条; "
    "個人情報保護法ガイドライン（通則編）3-5-3-3, 3-5-3-4, 3-5-3-5; "
    "行政機関の休日に関する法律 第1条・第2条; PrivacyMark PMK500 (事故報告)"
)

RULE_SETS = [
    {
        "version": "2022-04",
        "name": "改正個人情報保護法（2022年4月1日施行）",
        "effective_from": dt.date(2022, 4, 1),
        "collection_counts_for_unauthorized_purpose": False,
    },
    {
        "version": "2024-04",
        "name": "改正施行規則 第7条第3号（2024年4月1日施行）",
        "effective_from": dt.date(2024, 4, 1),
        "collection_counts_for_unauthorized_purpose": True,
    },
]


def forwards(apps, schema_editor):
    RuleSet = apps.get_model("incidents", "RuleSet")
    for values in RULE_SETS:
        RuleSet.objects.get_or_create(version=values["version"], defaults={**values, "sources": SOURCES})


def backwards(apps, schema_editor):
    apps.get_model("incidents", "RuleSet").objects.filter(version__in=[r["version"] for r in RULE_SETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_reporting_tracks")]

    operations = [migrations.RunPython(forwards, backwards)]
