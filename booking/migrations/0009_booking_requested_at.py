from django.db import migrations, models
from django.db.models import F


def asked_for_when_made(apps, schema_editor):
    """Every booking so far was made with its patient's details: it was asked for when it was made."""
    apps.get_model("booking", "Booking").objects.update(requested_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("booking", "0008_booking_name_search_index")]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="requested_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="When the patient (or staff) confirmed the details; empty while a patient is still choosing.",
                null=True,
                verbose_name="details confirmed",
            ),
        ),
        migrations.RunPython(asked_for_when_made, migrations.RunPython.noop),
    ]
