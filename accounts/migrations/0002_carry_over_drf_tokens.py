"""Django REST framework's tokens (rest_framework.authtoken, before django-rest-knox) become
knox tokens, so that clients holding one keep working until it expires.

knox finds a token by its first 15 characters (`token_key`) and checks the hash of the whole
(knox.auth.TokenAuthentication.authenticate_credentials, knox.crypto.hash_token); an old
40-character key is stored that way, expiring settings.API_TOKEN_TTL_HOURS from now. Then
the old table, which kept the keys in clear, is emptied (it is left in place, unused: the app
is no longer installed). Tokens of deactivated users are not carried over.

On a new database the old table does not exist and nothing happens. Not reversible: only
hashes are left.
"""

import datetime as dt

from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"


def _aware(value):
    if isinstance(value, str):  # SQLite without a converter
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):  # SQLite stores UTC without the zone
        value = value.replace(tzinfo=dt.UTC)
    return value


def carry_over(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS, knox_settings

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if OLD_TABLE not in connection.introspection.table_names(cursor):
            return
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT {qn('key')}, {qn('user_id')}, {qn('created')} FROM {qn(OLD_TABLE)}")
        rows = cursor.fetchall()

    AuthToken = apps.get_model("knox", "AuthToken")
    User = apps.get_model("auth", "User")
    active = set(User.objects.filter(pk__in={user_id for _key, user_id, _created in rows}, is_active=True)
                 .values_list("pk", flat=True))
    expiry = timezone.now() + knox_settings.TOKEN_TTL
    carried = {
        hash_token(key): (AuthToken(digest=hash_token(key), token_key=key[:CONSTANTS.TOKEN_KEY_LENGTH],
                                    user_id=user_id, expiry=expiry), created)
        for key, user_id, created in rows if user_id in active
    }
    AuthToken.objects.bulk_create([token for token, _created in carried.values()])
    # `created` is set on insert (auto_now_add): each token's own date is put back.
    for digest, (_token, created) in carried.items():
        if created is not None:
            AuthToken.objects.filter(digest=digest).update(created=_aware(created))

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {qn(OLD_TABLE)}")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_api_token"),
        ("knox", "0009_extend_authtoken_field"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(carry_over, migrations.RunPython.noop, elidable=True),
    ]
