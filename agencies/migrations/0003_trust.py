# Trust (issue 5): confidential notes encrypted at rest, history included; the roles as groups.
# Self-contained: the field, the encryption and the roles as they were then come from _frozen.

import agencies.migrations._frozen
from agencies.migrations._frozen import decrypt_text, encrypt_text, is_encrypted, roles_sync_0003
from django.db import migrations

NOTE_MODELS = ("SourceConfidentialNote", "HistoricalSourceConfidentialNote")


def _rewrite_notes(apps, schema_editor, convert):
    # Raw SQL: through the models, the field would try to decrypt the plaintext it is converting.
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    for model_name in NOTE_MODELS:
        model = apps.get_model("agencies", model_name)
        table = quote(model._meta.db_table)
        pk = quote(model._meta.pk.column)
        column = quote(model._meta.get_field("notes").column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {column} FROM {table}")
            changes = [
                (new, row_pk)
                for row_pk, old in cursor.fetchall()
                if old is not None and (new := convert(old)) != old
            ]
            if changes:
                cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s", changes)


def encrypt_notes(apps, schema_editor):
    _rewrite_notes(apps, schema_editor, lambda value: value if is_encrypted(value) else encrypt_text(value))


def decrypt_notes(apps, schema_editor):
    _rewrite_notes(apps, schema_editor, lambda value: decrypt_text(value) if is_encrypted(value) else value)


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Model permissions are made after the last migration; the groups need them now.
    app_config = apps.get_app_config("agencies")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None
    roles_sync_0003(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0002_briefing"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="sourceconfidentialnote",
            options={
                "permissions": [
                    (
                        "view_confidential",
                        "Can see who confidential sources are, and ask for internal briefings and exports",
                    )
                ]
            },
        ),
        migrations.AlterField(
            model_name="historicalsourceconfidentialnote",
            name="notes",
            field=agencies.migrations._frozen.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="sourceconfidentialnote",
            name="notes",
            field=agencies.migrations._frozen.EncryptedTextField(),
        ),
        migrations.RunPython(encrypt_notes, decrypt_notes),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
