"""The demo company 株式会社INE that `python manage.py seed_demo` loads: departments, a user
for every role (one shared password), and a year of incidents and actions in every state.

The data, written as stories a reader can follow:

- people.py: the departments and the demo users (the logins the README lists);
- story.py: how an incident story is written (`Story` and its steps: `step`, `plan`,
  `act`, `edit`, `file`, `not_required`);
- incidents.py: the year's incidents that owe no report to the PPC, at every stage;
- reportable.py: the reportable situations (報告対象事態) and the leak of a 委託元's data,
  whose reports show the legal clocks;
- actions.py: the actions raised outside an incident.

The engine that plays them, apart from the data:

- timeline.py: every step of every story, played in date order with the clock moved to
  its moment (time-machine), so that what the services write is written then;
- seeder.py: `DemoSeeder`, which seeds the departments and users, dates the steps of each
  story still missing and says what each step does (through the services, as the user
  whose job it is).

The command (incidents/management/commands/seed_demo.py) hands the stories to the seeder,
plays them and prints the summary. The audits app extends both (audits/demo/).
"""
