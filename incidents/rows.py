"""The columns the pages' rows show, and a queryset that reads only those.

A row is a model instance as anywhere else, but the ORM's cost (writing the query, reading
each value, building the instances) goes with the number of columns, and an incident has 58:
the office's to-do page set some 11,500 attributes on 430 instances to show 150 rows. A column
left out here and read by a template costs a query per row; so does the state of a related
record, which django-fsm-2 reads as the instance is built (tests/worklist/conftest.py and
tests/test_list_queries.py render the pages with any column read later refused).
"""

from __future__ import annotations

from django.db.models import QuerySet

# What `user_label` shows of a person.
PERSON = ("username", "first_name", "last_name")


def person(relation: str) -> tuple[str, ...]:
    return tuple(f"{relation}__{name}" for name in PERSON)


# The to-do page (incidents/todo.py).
TODO_INCIDENT = ("reference", "title", "kind", "state", "created_at", "discovered_at", "reportable",
                 "company__name", "department__name", *person("handler"))
TODO_ACTION = ("reference", "title", "kind", "state", "due_date", "implemented_at", "incident__reference",
               "incident__state", "company__name", *person("owner"))
TODO_TRACK = ("kind", "state", "due_at", "limit_at", "filed_at",
              "incident__reference", "incident__title", "incident__state", "incident__company__name")

# The list pages (their spreadsheets read every column: incidents/registers.py).
INCIDENT_LIST = ("reference", "title", "kind", "severity", "state", "discovered_at", "reportable",
                 "company__name", "department__name", *person("handler"))
ACTION_LIST = ("reference", "title", "kind", "state", "due_date", "incident__reference", "incident__state",
               "company__name", "department__name", *person("owner"), *person("verifier"))
TRACK_LIST = ("kind", "state", "due_at", "limit_at", "filed_at", "incident__reference", "incident__title",
              "incident__state", "incident__company__name", "incident__department__name")


def only_shown(queryset: QuerySet, columns: tuple[str, ...]) -> QuerySet:
    """`queryset` reading only `columns` (its model's fields and, as `relation__field`, those of
    related records), joined to the records they name and to no other."""
    relations = {column.rsplit("__", 1)[0] for column in columns if "__" in column}
    return queryset.select_related(None).select_related(*relations).only(*columns)
