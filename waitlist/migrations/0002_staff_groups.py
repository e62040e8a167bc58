from django.db import migrations

from assessments.roles import migrate_groups


class Migration(migrations.Migration):
    """The front desk sees and reorders the waiting list."""

    dependencies = [
        ("waitlist", "0001_initial"),
        ("assessments", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(migrate_groups, migrations.RunPython.noop)]
