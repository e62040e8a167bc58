from django.db import migrations

from assessments.roles import CLINICIAN, FRONT_DESK, migrate_groups


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[FRONT_DESK, CLINICIAN]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("booking", "0001_initial"),
        ("clinic", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    operations = [migrations.RunPython(migrate_groups, remove_groups)]
