"""The demo group's internal audits and management reviews, which `python manage.py
seed_demo` adds to the incidents app's demo (incidents/demo/).

The internal-audit programme of the current fiscal year (April to March unless
FISCAL_YEAR_START_MONTH says otherwise):

- six audits, one in every state: two closed, one reported, one in fieldwork (an
  operational check, 運用の確認, by the IT department itself), one planned after today,
  and one cancelled: 総務部's, which leaves that department unaudited, the gap the
  programme page shows;
- checklists filled in as the state implies (complete once reported; half done in
  fieldwork; untouched when planned or cancelled);
- J items of the PrivacyMark guideline (構築・運用指針) on the checklists beside the JIS
  clauses: seven checked by the two closed audits (one of them, J.4.5.5, not yet verified
  against the guideline), two more on the planned follow-up, so that the programme's J item
  coverage has items checked, planned and not covered;
- nine findings of every grade (major, minor, observation, opportunity) in every state
  (open, responded, accepted, verifying, closed), one of them rejected once before its
  second answer, with their corrective actions (incidents' Action, linked) in the states
  their finding implies; one of them, 人事部's observation, still open after the response
  deadline its audit team set (回答期限 overdue);
- the last days of the story (days 227 and later, always within the week before the
  seed): the follow-up audit planned, a finding submitted for verification, a review
  decision's action implemented, so that the auditors, the audit lead and top management
  find news in their inboxes (incidents/demo/inbox.py).

Then the previous fiscal year, for its management review: two more incidents of that winter
(a near miss, and a mis-sending in 営業部 that recurs with the same cause as December's),
and that year's two internal audits, closed, covering every department, with a minor
nonconformity closed on an effective action, two observations and an opportunity for
improvement. Last, the management reviews: last year's (MR-INE-FY2025 when seeded in
fiscal 2026), prepared and submitted by the PMS manager (its inputs frozen as the records stood
at the moment of the submission, which the seed replays), approved by top management in May
with three decisions through services.review_approve, whose improvement actions are under
way: one in progress, one implemented, one not started yet (due next year). Due dates are
never before the day of seeding, which the service requires. And this year's review, a
draft with two of the four required inputs still to write. Both are 株式会社INE's (with
several companies a review's reference names its company).

The group companies (group.py): 株式会社INE保険サービス's audit is a cross-audit, led by
株式会社INEソリューションズ's internal auditor; 株式会社INEソリューションズ, ISMS only, is
audited against ISO/IEC 27001:2022; this year's reviews of 株式会社INE保険サービス (by its own
PMS manager) and of the whole group (MR-GROUP-FY2026, by the group's PMS office) are drafts.

Independence holds: nobody audits their own department (小林 of 人事部 and 松本 of
情報システム部, added here as `auditor2`, share the audits), and the audit lead 加藤 is not
a PMS manager.

By module:

- people.py: the second internal auditor (of the whole group);
- story.py: how an audit story is written (`AuditStory` and its steps) and how its days
  map to dates;
- audits.py: this fiscal year's audits;
- previous_year.py: the previous fiscal year's incidents and audits;
- reviews.py: 株式会社INE's two management reviews;
- group.py: the group companies' audits and this year's reviews of a group company and of
  the group;
- seeder.py: `AuditSeeder`, the incidents' DemoSeeder extended with what the audits' and
  the reviews' steps do; it puts them on the same timeline as the incidents', so that all
  are played together in date order (incidents/demo/timeline.py).

The command (audits/management/commands/seed_demo.py) runs it and prints the summary.
"""
