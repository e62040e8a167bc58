import secrets

import booking.models
from django.db import migrations, models

# This migration's own copy of booking.models.new_reference as it was when written.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def fill_references(apps, schema_editor):
    """Every entry gets its own reference, for the "leave the list" link."""
    Entry = apps.get_model("waitlist", "WaitlistEntry")
    for pk in Entry.objects.filter(reference__isnull=True).values_list("pk", flat=True).iterator():
        Entry.objects.filter(pk=pk).update(reference="".join(secrets.choice(ALPHABET) for _ in range(16)))


class Migration(migrations.Migration):

    dependencies = [
        ("waitlist", "0005_email_canonical"),
    ]

    operations = [
        migrations.AddField(
            model_name="waitlistentry",
            name="reference",
            field=models.CharField(editable=False, max_length=16, null=True),
        ),
        migrations.RunPython(fill_references, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="waitlistentry",
            name="reference",
            field=models.CharField(default=booking.models.new_reference, editable=False, max_length=16, unique=True),
        ),
        migrations.AlterField(
            model_name="waitlistentry",
            name="status",
            field=models.CharField(
                choices=[
                    ("waiting", "Waiting"),
                    ("offered", "Offered a spot"),
                    ("booked", "Booked"),
                    ("lapsed", "Offer lapsed"),
                    ("declined", "Declined"),
                    ("removed", "Removed"),
                    ("left", "Left the list"),
                ],
                db_index=True,
                default="waiting",
                max_length=10,
            ),
        ),
    ]
