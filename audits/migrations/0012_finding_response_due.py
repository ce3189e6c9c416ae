"""Finding response deadlines (回答期限): the date on each finding, and the days per grade as
reference data the PMS office edits in the admin (issue 14)."""

import django.db.models.deletion
import django.db.models.functions.comparison
import pgtrigger.compiler
import pgtrigger.migrations
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from trail.guard import sqlite_guards


def seed_group_policy(apps, schema_editor):
    """The whole group's row, with the built-in days, for the office to find and change."""
    policy = apps.get_model("audits", "FindingResponsePolicy")
    if not policy.objects.filter(company__isnull=True).exists():
        policy.objects.create(company=None, major_days=14, minor_days=30, observation_days=60, opportunity_days=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audits', '0011_seed_pmark_guideline'),
        ('incidents', '0015_company_required'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='finding',
            name='response_due',
            field=models.DateField(blank=True, help_text='The date by which the audited department answers with the cause and the plan (回答期限). Empty: no answer is required.', null=True, verbose_name='response due'),
        ),
        migrations.AddField(
            model_name='historicalfinding',
            name='response_due',
            field=models.DateField(blank=True, help_text='The date by which the audited department answers with the cause and the plan (回答期限). Empty: no answer is required.', null=True, verbose_name='response due'),
        ),
        migrations.CreateModel(
            name='HistoricalFindingResponsePolicy',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('door', models.CharField(blank=True, choices=[('web', 'Web pages'), ('api', 'API'), ('admin', 'Admin'), ('command', 'Command')], default='', max_length=10, verbose_name='through')),
                ('actor_name', models.CharField(blank=True, default='', max_length=300, verbose_name="actor's name at the time")),
                ('chain_seq', models.BigIntegerField(blank=True, editable=False, null=True, unique=True, verbose_name='position in the trail')),
                ('chain_hash', models.CharField(blank=True, default='', editable=False, max_length=64, verbose_name='hash')),
                ('major_days', models.PositiveSmallIntegerField(blank=True, default=14, help_text='Days from the day the finding is raised; empty: no answer required.', null=True, verbose_name='major nonconformity (days)')),
                ('minor_days', models.PositiveSmallIntegerField(blank=True, default=30, help_text='Days from the day the finding is raised; empty: no answer required.', null=True, verbose_name='minor nonconformity (days)')),
                ('observation_days', models.PositiveSmallIntegerField(blank=True, default=60, help_text='Days from the day the finding is raised; empty: no answer required.', null=True, verbose_name='observation (days)')),
                ('opportunity_days', models.PositiveSmallIntegerField(blank=True, default=None, help_text='Days from the day the finding is raised; empty: no answer required.', null=True, verbose_name='opportunity for improvement (days)')),
                ('updated_at', models.DateTimeField(blank=True, editable=False, verbose_name='updated at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('company', models.ForeignKey(blank=True, db_constraint=False, help_text="Empty: the whole group's policy, for every company without its own.", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='incidents.company', verbose_name='company')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical finding response deadlines',
                'verbose_name_plural': 'historical finding response deadlines',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='FindingResponsePolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('major_days', models.PositiveSmallIntegerField(blank=True, default=14, help_text='Days from the day the finding is raised; empty: no answer required.', null=True, verbose_name='major nonconformity (days)')),
                ('minor_days', models.PositiveSmallIntegerField(blank=True, default=30, help_text='Days from the day the finding is raised; empty: no answer required.', null=True, verbose_name='minor nonconformity (days)')),
                ('observation_days', models.PositiveSmallIntegerField(blank=True, default=60, help_text='Days from the day the finding is raised; empty: no answer required.', null=True, verbose_name='observation (days)')),
                ('opportunity_days', models.PositiveSmallIntegerField(blank=True, default=None, help_text='Days from the day the finding is raised; empty: no answer required.', null=True, verbose_name='opportunity for improvement (days)')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('company', models.ForeignKey(blank=True, help_text="Empty: the whole group's policy, for every company without its own.", null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='incidents.company', verbose_name='company')),
            ],
            options={
                'verbose_name': 'finding response deadlines',
                'verbose_name_plural': 'finding response deadlines',
                'ordering': ['company__position', 'company__code'],
                'constraints': [models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('company', 0, output_field=models.IntegerField()), name='one_response_policy_per_company', violation_error_message='There is already a policy for this company (or for the whole group).')],
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='historicalfindingresponsepolicy',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='7ce642b00eeb830c9cc89832309107c01ecbcb16', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_8d38f', table='audits_historicalfindingresponsepolicy', when='BEFORE')),
        ),
        migrations.RunPython(seed_group_policy, migrations.RunPython.noop),
        # The append-only triggers of the new and rebuilt history tables (SQLite).
        migrations.RunPython(sqlite_guards, migrations.RunPython.noop),
    ]
