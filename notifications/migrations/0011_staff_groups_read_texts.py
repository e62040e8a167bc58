from django.db import migrations

from assessments.roles import migrate_groups


class Migration(migrations.Migration):
    """The front desk, clinicians and the manager read and answer patients' texts; the manager also reads the log
    of who opened them."""

    dependencies = [
        ("notifications", "0010_conversations_and_staff_senders"),
        ("assessments", "0011_consent_wording_in_spanish"),
    ]

    operations = [migrations.RunPython(migrate_groups, migrations.RunPython.noop)]
