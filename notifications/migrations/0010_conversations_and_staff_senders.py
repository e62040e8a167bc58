import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import Max


def conversations_from_earlier_texts(apps, schema_editor):
    """A conversation for each number that texted before the inbox, marked done: the front desk was told of each
    of those texts by email. The next text from the number opens it again."""
    InboundText = apps.get_model("notifications", "InboundText")
    Conversation = apps.get_model("notifications", "Conversation")
    senders = InboundText.objects.values("sender").annotate(last=Max("received_at")).order_by("sender")
    Conversation.objects.bulk_create(
        [Conversation(phone=row["sender"], status="done", last_activity_at=row["last"]) for row in senders],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    """The front desk's text inbox: a conversation per number, the log of who opened one, and who wrote a staff
    text."""

    dependencies = [
        ('notifications', '0009_message_waitlist_joined_and_its_entry'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='sent_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.CreateModel(
            name='Conversation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone', models.CharField(help_text='E.164, for example +16195550123.', max_length=20, unique=True)),
                ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done')], db_index=True, default='open', max_length=4)),
                ('unread', models.PositiveIntegerField(default=0, help_text='Texts received since staff last opened it.')),
                ('last_activity_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('assigned_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-last_activity_at', '-pk'],
                'permissions': [('read_texts', "Can read patients' texts")],
            },
        ),
        migrations.CreateModel(
            name='ConversationAccess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                ('user_agent', models.CharField(blank=True, max_length=300)),
                ('at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('conversation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='accesses', to='notifications.conversation')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'opening of a conversation',
                'verbose_name_plural': 'text access log',
                'ordering': ['-at'],
            },
        ),
        migrations.RunPython(conversations_from_earlier_texts, migrations.RunPython.noop),
    ]
