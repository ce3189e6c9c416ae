"""PrivacyMark's own test and three steps, the PPC 追完, and the 2026 amendment as data (issue 13)."""

from django.db import migrations, models

from trail.guard import sqlite_guards


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0015_company_required'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalincident',
            name='is_my_number',
            field=models.BooleanField(default=False, verbose_name='specific personal information (特定個人情報, My Number)'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='my_number_network_system',
            field=models.BooleanField(default=False, help_text='情報提供ネットワークシステム等 (My Number only).', verbose_name='leaked from the information-provision network system or the like'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='my_number_publicly_viewable',
            field=models.BooleanField(default=False, help_text='For example published on the internet (My Number only).', verbose_name='viewable by an unspecified number of people'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='not_personal_data',
            field=models.BooleanField(default=False, help_text="Not part of a database organised for search (a single form, a business card): the PPC's duty does not apply, PrivacyMark's does.", verbose_name='personal information that is not personal data (個人データ)'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='pmark_event',
            field=models.CharField(blank=True, choices=[('leak', '① Leak (漏えい)'), ('loss', '② Loss (紛失)'), ('destruction', '③ Destruction or damage (滅失・き損)'), ('falsification', '④ Falsification, or accuracy not ensured (改ざん・正確性の未確保)'), ('improper_acquisition', '⑤ Improper acquisition (不正・不適正取得)'), ('purpose_violation', '⑥ Use or provision beyond the purpose (目的外利用・提供)'), ('misuse', '⑦ Misuse (不正利用)'), ('request_refusal', '⑧ Wrongful refusal of a request to disclose etc. (開示等の求め等の拒否)'), ('none', 'Not a 事故等 (no such event)')], help_text='Blank: taken from the kind of the report (a leak is ①, a loss ②, damage ③, unauthorized use ⑥; anything else is not a 事故等).', max_length=30, verbose_name='kind of 事故等 (PrivacyMark)'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='pmark_judged_serious',
            field=models.BooleanField(default=False, help_text='No listed trigger applies, but the case is serious enough for the assessment body to hear of it at once (the catch-all of PMK500). Give the reason.', verbose_name='judged serious: PrivacyMark 速報'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='pmark_judged_serious_reason',
            field=models.TextField(blank=True, verbose_name='why it is serious'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='pmark_notice_due_on',
            field=models.DateField(blank=True, help_text='The date the notice sets for the report on measures to prevent recurrence.', null=True, verbose_name='report on the measures due on'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='pmark_notice_received_on',
            field=models.DateField(blank=True, null=True, verbose_name='notice received on'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='pmark_notice_requests',
            field=models.TextField(blank=True, help_text='The measures the assessment body asks to be reported.', verbose_name='what the notice asks'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='pmark_suspected',
            field=models.BooleanField(default=False, help_text='The event is not confirmed, only feared: still a 事故等 (kind ⑨).', verbose_name='only suspected (⑨ おそれ)'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='ppc_unknown_items',
            field=models.JSONField(blank=True, default=dict, help_text='Items of the PPC report still unknown after reasonable effort, with the reason for each.', verbose_name='items not yet known'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='subjects_low_risk',
            field=models.BooleanField(default=False, help_text='Only where the rules in force on the day of discovery allow it (amended APPI art. 26(2)).', verbose_name='small risk to the data subjects: no 本人通知'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='subjects_low_risk_reason',
            field=models.TextField(blank=True, verbose_name='why the risk is small'),
        ),
        migrations.AddField(
            model_name='historicalincident',
            name='substitute_measure',
            field=models.TextField(blank=True, help_text='For example publication or an inquiry desk.', verbose_name='substitute measure (代替措置)'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='data_subjects_low_risk_exemption',
            field=models.BooleanField(default=False, help_text='Amended APPI art. 26(2): the notice to data subjects is not required where the risk to their rights and interests is small (the PMS manager records the reason).', verbose_name='no 本人通知 for a small risk'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='pmark_measures_target_days',
            field=models.PositiveSmallIntegerField(default=3, help_text="The report on measures to prevent recurrence is due on the date the assessment body's notice sets; the reminder comes this many days before.", verbose_name='PrivacyMark report on measures: target (days before the date set)'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='pmark_my_number_threshold',
            field=models.PositiveIntegerField(default=100, help_text='A 速報 for specific personal information (特定個人情報) of MORE than this many people.', verbose_name='PrivacyMark 速報: My Number people threshold'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='pmark_subject_count_threshold',
            field=models.PositiveIntegerField(default=1000, help_text='A 速報 for MORE than this many people, counting all personal information (個人情報).', verbose_name='PrivacyMark 速報: people threshold'),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='ppc_supplement_target_days',
            field=models.PositiveSmallIntegerField(default=30, help_text="Items unknown at the 確報 are supplemented as soon as they are known; the law sets no limit, so this is the company's own.", verbose_name='PPC 追完 target (days after the 確報)'),
        ),
        migrations.AddField(
            model_name='incident',
            name='is_my_number',
            field=models.BooleanField(default=False, verbose_name='specific personal information (特定個人情報, My Number)'),
        ),
        migrations.AddField(
            model_name='incident',
            name='my_number_network_system',
            field=models.BooleanField(default=False, help_text='情報提供ネットワークシステム等 (My Number only).', verbose_name='leaked from the information-provision network system or the like'),
        ),
        migrations.AddField(
            model_name='incident',
            name='my_number_publicly_viewable',
            field=models.BooleanField(default=False, help_text='For example published on the internet (My Number only).', verbose_name='viewable by an unspecified number of people'),
        ),
        migrations.AddField(
            model_name='incident',
            name='not_personal_data',
            field=models.BooleanField(default=False, help_text="Not part of a database organised for search (a single form, a business card): the PPC's duty does not apply, PrivacyMark's does.", verbose_name='personal information that is not personal data (個人データ)'),
        ),
        migrations.AddField(
            model_name='incident',
            name='pmark_event',
            field=models.CharField(blank=True, choices=[('leak', '① Leak (漏えい)'), ('loss', '② Loss (紛失)'), ('destruction', '③ Destruction or damage (滅失・き損)'), ('falsification', '④ Falsification, or accuracy not ensured (改ざん・正確性の未確保)'), ('improper_acquisition', '⑤ Improper acquisition (不正・不適正取得)'), ('purpose_violation', '⑥ Use or provision beyond the purpose (目的外利用・提供)'), ('misuse', '⑦ Misuse (不正利用)'), ('request_refusal', '⑧ Wrongful refusal of a request to disclose etc. (開示等の求め等の拒否)'), ('none', 'Not a 事故等 (no such event)')], help_text='Blank: taken from the kind of the report (a leak is ①, a loss ②, damage ③, unauthorized use ⑥; anything else is not a 事故等).', max_length=30, verbose_name='kind of 事故等 (PrivacyMark)'),
        ),
        migrations.AddField(
            model_name='incident',
            name='pmark_judged_serious',
            field=models.BooleanField(default=False, help_text='No listed trigger applies, but the case is serious enough for the assessment body to hear of it at once (the catch-all of PMK500). Give the reason.', verbose_name='judged serious: PrivacyMark 速報'),
        ),
        migrations.AddField(
            model_name='incident',
            name='pmark_judged_serious_reason',
            field=models.TextField(blank=True, verbose_name='why it is serious'),
        ),
        migrations.AddField(
            model_name='incident',
            name='pmark_notice_due_on',
            field=models.DateField(blank=True, help_text='The date the notice sets for the report on measures to prevent recurrence.', null=True, verbose_name='report on the measures due on'),
        ),
        migrations.AddField(
            model_name='incident',
            name='pmark_notice_received_on',
            field=models.DateField(blank=True, null=True, verbose_name='notice received on'),
        ),
        migrations.AddField(
            model_name='incident',
            name='pmark_notice_requests',
            field=models.TextField(blank=True, help_text='The measures the assessment body asks to be reported.', verbose_name='what the notice asks'),
        ),
        migrations.AddField(
            model_name='incident',
            name='pmark_suspected',
            field=models.BooleanField(default=False, help_text='The event is not confirmed, only feared: still a 事故等 (kind ⑨).', verbose_name='only suspected (⑨ おそれ)'),
        ),
        migrations.AddField(
            model_name='incident',
            name='ppc_unknown_items',
            field=models.JSONField(blank=True, default=dict, help_text='Items of the PPC report still unknown after reasonable effort, with the reason for each.', verbose_name='items not yet known'),
        ),
        migrations.AddField(
            model_name='incident',
            name='subjects_low_risk',
            field=models.BooleanField(default=False, help_text='Only where the rules in force on the day of discovery allow it (amended APPI art. 26(2)).', verbose_name='small risk to the data subjects: no 本人通知'),
        ),
        migrations.AddField(
            model_name='incident',
            name='subjects_low_risk_reason',
            field=models.TextField(blank=True, verbose_name='why the risk is small'),
        ),
        migrations.AddField(
            model_name='incident',
            name='substitute_measure',
            field=models.TextField(blank=True, help_text='For example publication or an inquiry desk.', verbose_name='substitute measure (代替措置)'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='data_subjects_low_risk_exemption',
            field=models.BooleanField(default=False, help_text='Amended APPI art. 26(2): the notice to data subjects is not required where the risk to their rights and interests is small (the PMS manager records the reason).', verbose_name='no 本人通知 for a small risk'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='pmark_measures_target_days',
            field=models.PositiveSmallIntegerField(default=3, help_text="The report on measures to prevent recurrence is due on the date the assessment body's notice sets; the reminder comes this many days before.", verbose_name='PrivacyMark report on measures: target (days before the date set)'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='pmark_my_number_threshold',
            field=models.PositiveIntegerField(default=100, help_text='A 速報 for specific personal information (特定個人情報) of MORE than this many people.', verbose_name='PrivacyMark 速報: My Number people threshold'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='pmark_subject_count_threshold',
            field=models.PositiveIntegerField(default=1000, help_text='A 速報 for MORE than this many people, counting all personal information (個人情報).', verbose_name='PrivacyMark 速報: people threshold'),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='ppc_supplement_target_days',
            field=models.PositiveSmallIntegerField(default=30, help_text="Items unknown at the 確報 are supplemented as soon as they are known; the law sets no limit, so this is the company's own.", verbose_name='PPC 追完 target (days after the 確報)'),
        ),
        migrations.AlterField(
            model_name='historicalreportingtrack',
            name='kind',
            field=models.CharField(choices=[('ppc_preliminary', 'PPC preliminary report (速報)'), ('ppc_final', 'PPC final report (確報)'), ('pmark_preliminary', 'PrivacyMark preliminary report (速報)'), ('pmark_final', 'PrivacyMark final report (確報)'), ('entrusting_party', 'Notice to the entrusting business (委託元)'), ('data_subjects', 'Notice to data subjects (本人通知)'), ('joint_use', 'Notice to the company responsible for jointly used data (共同利用)'), ('ppc_supplement', 'PPC supplement of items unknown at the 確報 (追完)'), ('pmark_measures', 'PrivacyMark report on measures to prevent recurrence (再発防止策)')], max_length=20, verbose_name='report'),
        ),
        migrations.AlterField(
            model_name='reportingtrack',
            name='kind',
            field=models.CharField(choices=[('ppc_preliminary', 'PPC preliminary report (速報)'), ('ppc_final', 'PPC final report (確報)'), ('pmark_preliminary', 'PrivacyMark preliminary report (速報)'), ('pmark_final', 'PrivacyMark final report (確報)'), ('entrusting_party', 'Notice to the entrusting business (委託元)'), ('data_subjects', 'Notice to data subjects (本人通知)'), ('joint_use', 'Notice to the company responsible for jointly used data (共同利用)'), ('ppc_supplement', 'PPC supplement of items unknown at the 確報 (追完)'), ('pmark_measures', 'PrivacyMark report on measures to prevent recurrence (再発防止策)')], max_length=20, verbose_name='report'),
        ),
        # Re-create the append-only triggers of the rebuilt history tables (SQLite).
        migrations.RunPython(sqlite_guards, migrations.RunPython.noop),
    ]
