"""The rate limit of the public form (django-ratelimit), counted in the database.

The counters must be shared by every gunicorn worker and every instance, and this
application has no memcached or Redis: they live in a cache table of the application's
own database (settings.CACHES["ratelimit"]). Django's DatabaseCache increments by reading
and then writing, so two submissions at once could both read 4 and both write 5
(django-ratelimit's check E003 says so); AtomicDatabaseCache locks the counter's row
while it is read and written (SELECT … FOR UPDATE on PostgreSQL; on SQLite every write
transaction holds the database lock from BEGIN, settings' transaction_mode IMMEDIATE).

The cache table is created wherever the migrations run (RatelimitConfig: after every
`migrate`, `createcachetable`, which does nothing when the table exists), so a fresh
clone, a deployment and the test databases have it without a migration.
"""

from __future__ import annotations

import base64
import pickle

from django.conf import settings
from django.core.cache.backends.db import DatabaseCache
from django.core.management import call_command
from django.db import connections, router, transaction
from django.db.models.signals import post_migrate
from django.utils.timezone import now as tz_now
from django_ratelimit.apps import DjangoRatelimitConfig


class AtomicDatabaseCache(DatabaseCache):
    """DatabaseCache whose incr() cannot lose a count to a concurrent one."""

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('value')}, {quote('expires')} FROM {table} WHERE {quote('cache_key')} = %s{lock}",
                [key],
            )
            row = cursor.fetchone()
            if row is not None:
                value, expires = row
                expires = _as_datetime(connection, expires)
                if expires < tz_now():
                    row = None
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            number = pickle.loads(base64.b64decode(connection.ops.process_clob(value).encode())) + delta
            encoded = base64.b64encode(pickle.dumps(number, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s",
                           [encoded, key])
        return number


def _as_datetime(connection, value):
    """The stored expiry as an aware datetime, as DatabaseCache.get_many reads it."""
    from django.db import models

    expression = models.Expression(output_field=models.DateTimeField())
    for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
        value = converter(value, expression, connection)
    return value


def create_cache_tables(sender, using="default", **kwargs) -> None:
    call_command("createcachetable", database=using, verbosity=0)


class RatelimitConfig(DjangoRatelimitConfig):
    """django-ratelimit (its system checks included), and its cache table after every migrate."""

    def ready(self) -> None:
        super().ready()
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="ratelimit-cache-table")


def client_ip(request) -> str:
    """The client's address, as the login protection reads it (CLIENT_IP_HEADER with
    TRUSTED_PROXY_COUNT proxies in front): the address the nearest trusted proxy saw,
    never an entry the client could have written itself."""
    order = getattr(settings, "AXES_IPWARE_META_PRECEDENCE_ORDER", ())
    header = order[0] if order and order[0] != "REMOTE_ADDR" else ""
    if header and request.META.get(header):
        addresses = [part.strip() for part in request.META[header].split(",") if part.strip()]
        proxies = max(1, getattr(settings, "AXES_IPWARE_PROXY_COUNT", 1))
        if len(addresses) >= proxies:
            return addresses[-proxies]
    return request.META.get("REMOTE_ADDR", "")
