from django.db import migrations

from assessments.roles import migrate_groups


class Migration(migrations.Migration):
    """The front desk and the manager record payments taken at the desk."""

    dependencies = [
        ("assessments", "0005_red_flag_reviews"),
        ("booking", "0005_desk_payments_and_block_reason"),
    ]

    operations = [migrations.RunPython(migrate_groups, migrations.RunPython.noop)]
