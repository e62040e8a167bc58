from django.db import migrations

from assessments.roles import MANAGER, migrate_groups


def remove_manager(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MANAGER).delete()


class Migration(migrations.Migration):
    """The Manager group (refunds are theirs alone), and the front desk resends messages."""

    dependencies = [
        ("assessments", "0003_access_log_how_and_from_where"),
        ("booking", "0002_private_link_version_and_refund_permission"),
        ("notifications", "0003_messages_keep_placeholders_for_links"),
        ("waitlist", "0004_claim_links_per_booking"),
    ]

    operations = [migrations.RunPython(migrate_groups, remove_manager)]
