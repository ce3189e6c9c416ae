"""The to-do page (マイページ): what waits for the signed-in person, from every app.

It is its own app because it reads both incidents (incidents.todo) and audits
(audits.todo), and incidents never depends on audits.
"""
