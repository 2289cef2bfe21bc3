# Who changed whose role, kept (issue 10, part 7): written by services.user_set_role only.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0005_partial_date_checks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RoleChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('actor_name', models.CharField(blank=True, editable=False, max_length=150, verbose_name='by')),
                ('user_name', models.CharField(editable=False, max_length=150, verbose_name='user')),
                ('old_role', models.CharField(blank=True, editable=False, max_length=60, verbose_name='from role')),
                ('new_role', models.CharField(blank=True, editable=False, max_length=60, verbose_name='to role')),
                ('old_confidential', models.BooleanField(editable=False, verbose_name='had the confidential grant')),
                ('new_confidential', models.BooleanField(editable=False, verbose_name='has the confidential grant')),
                ('reason', models.CharField(blank=True, editable=False, max_length=100)),
                ('actor', models.ForeignKey(blank=True, editable=False, help_text='Who made the change; empty for a system action.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='role_changes_made', to=settings.AUTH_USER_MODEL)),
                ('user', models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='role_changes', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-changed_at', '-id'],
                'permissions': [('manage_roles', 'Can give users a role and the confidential grant')],
                'indexes': [models.Index(fields=['user', '-changed_at'], name='role_change_user')],
            },
        ),
    ]
