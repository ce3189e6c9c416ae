"""Notifications: an inbox for every person, mail per kind or a daily digest, chat channels.

The records' own apps (incidents, audits) say what happened and to whom with
services.notify(); this app keeps nothing about incidents or audits itself. Each
notification is written in the transaction of the event it tells of, and the delivery
task is enqueued in that same transaction (the database task backend's queue is a table
of the same database): a rolled-back event leaves neither, a committed one both. A worker
(manage.py run_worker) delivers them, once, retrying while the mail server is down.
"""
