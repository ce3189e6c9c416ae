"""The demo group that `python manage.py seed_demo` loads: 株式会社INE (PrivacyMark, the
company responsible for jointly used data) and two group companies, their departments, a
user for every role (one shared password; roles held for the whole group or for one
company), and a year of incidents and actions in every state.

The data, written as stories a reader can follow:

- people.py: the companies, the departments and the demo users (the logins the README
  lists), with the companies they hold their roles for;
- story.py: how an incident story is written (`Story` and its steps: `step`, `plan`,
  `act`, `edit`, `assign`, `progress`, `file`, `not_required`, `notice`);
- incidents.py: the year's incidents that owe no report to the PPC, at every stage;
- reportable.py: the reportable situations (報告対象事態) and the leak of a 委託元's data,
  whose reports show the legal clocks;
- group.py: the group companies' incidents: jointly used data leaked at one, owing its
  notice to 株式会社INE; a reportable leak at the ISMS-only one, owing no PrivacyMark report;
- actions.py: the actions raised outside an incident.

The engine that plays them, apart from the data:

- timeline.py: every step of every story, played in date order with the clock moved to
  its moment (time-machine), so that what the services write is written then;
- seeder.py: `DemoSeeder`, which seeds the companies, departments and users, dates the steps of each
  story still missing and says what each step does (through the services, as the user
  whose job it is);
- inbox.py: the notifications the services wrote while the stories were played: those
  older than a week read and mailed (no year of history left for the worker to mail), the
  last week's unread, so that every role logs in to news.

The command (incidents/management/commands/seed_demo.py) hands the stories to the seeder,
plays them and prints the summary. The audits app extends both (audits/demo/).
"""
