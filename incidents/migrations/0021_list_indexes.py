"""Indexes for the default order and the common filters of every list (incidents by creation,
per company too; actions by due date and state; reports by limit, state and the web list's
pending-first order; requests and complaints by receipt): bench/query_plans.md."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0020_requests_and_complaints'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='action',
            index=models.Index(fields=['due_date', 'id'], name='action_due'),
        ),
        migrations.AddIndex(
            model_name='action',
            index=models.Index(fields=['state', 'due_date', 'id'], name='action_state_due'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(fields=['-received_on', '-id'], name='complaint_received'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['-created_at', '-id'], name='incident_created'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['company', '-created_at', '-id'], name='incident_company_created'),
        ),
        migrations.AddIndex(
            model_name='reportingtrack',
            index=models.Index(fields=['limit_at', 'id'], name='track_limit'),
        ),
        migrations.AddIndex(
            model_name='reportingtrack',
            index=models.Index(fields=['state', 'limit_at'], name='track_state_limit'),
        ),
        migrations.AddIndex(
            model_name='reportingtrack',
            index=models.Index(models.Case(models.When(state='pending', then=models.F('limit_at'))), models.OrderBy(models.F('limit_at'), descending=True), models.F('id'), name='track_pending_first'),
        ),
        migrations.AddIndex(
            model_name='rightsrequest',
            index=models.Index(fields=['-received_on', '-id'], name='request_received'),
        ),
    ]
