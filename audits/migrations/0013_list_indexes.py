"""Indexes for the default order of the audit and finding lists, and the findings by state
(bench/query_plans.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audits', '0012_finding_response_due'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='audit',
            index=models.Index(fields=['-planned_start', '-id'], name='audit_planned'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['-created_at', '-id'], name='finding_created'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['state', '-created_at', '-id'], name='finding_state_created'),
        ),
    ]
