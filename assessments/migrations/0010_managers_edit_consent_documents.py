from django.db import migrations

from assessments.roles import migrate_groups


class Migration(migrations.Migration):
    """The manager writes and publishes the Notice of Privacy Practices and the consent to treatment."""

    dependencies = [("assessments", "0009_consent_documents_version_one")]

    operations = [migrations.RunPython(migrate_groups, migrations.RunPython.noop)]
