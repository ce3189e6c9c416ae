"""The Django admin of the incidents app: reference data, users, and the records themselves.

One module per part of the app (as in incidents/models/):

- `company`: the group's companies (and the company column every record's list shows
  when there are several);
- `organisation`: departments, users and their roles, the pick-lists (event classes,
  causes): plain admin editing;
- `incident`, `action`: the incidents and the corrective actions, records with a
  protected state machine;
- `cases`: requests from individuals (with the things they ask for and the pauses of
  their clock) and complaints, records with a protected state machine too;
- `reporting`: the reporting rules (RuleSet, data edited here), the reporting tracks and
  the log of the reminders mailed before the notifications (read-only history);
- `attachments`: the evidence files, to look up (read-only);
- `channels`: the chat channels that take the same notices as people.

The records' admins are built on the workflow engine's admin (incidents.workflow.admin,
StateMachineAdmin), which the audits app uses too:

- which fields are editable is the model's `edit_policy`, for this user and this record;
  everything else is read-only, `state` always (the FSM field is protected: posting a
  state is ignored, not saved);
- adding and editing go through the services (`incident_report`, `incident_update`,
  `action_create`, `action_update`), from the version the change form was read at, so
  the same permission and validation rules apply as in the web UI and the API, and a save
  from a stale page lists what changed since instead of overwriting it;
- transitions have their own admin page, `<pk>/transition/<name>/`, which calls
  `transition_record` like every other door;
- nothing can be deleted: the records of a management system are evidence.

The PMS manager and office (role `pms_manager`, with `is_staff`) may use these pages
without Django model permissions; everyone else needs the usual admin permissions, and
the services still decide what they may do.

Django's admin autodiscovery imports this package: the imports below register the admins.
"""

from . import action, attachments, cases, channels, company, incident, organisation, reporting  # noqa: F401
