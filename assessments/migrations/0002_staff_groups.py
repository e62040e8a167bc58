"""The two staff roles. Front desk runs the calendar and sees only whether an intake is done or flagged;
clinicians also read intake answers (and the log of who read them)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FRONT_DESK = {
    "booking": ["view_booking", "change_booking", "view_slot", "add_slot", "change_slot", "view_service",
                "view_promotion", "view_payment", "view_refund"],
    "clinic": ["view_clinic", "view_openinghours", "view_closure", "add_closure", "change_closure",
               "view_practitioner"],
    "notifications": ["view_message", "view_optout", "view_inboundtext"],
}
CLINICIAN = {
    "booking": ["view_booking", "view_slot", "view_service"],
    "clinic": ["view_clinic", "view_practitioner"],
    "assessments": ["view_intake", "view_intake_answers", "view_intakeaccess"],
}


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in (("Front desk", FRONT_DESK), ("Clinician", CLINICIAN)):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in grants.items():
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Front desk", "Clinician"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("booking", "0001_initial"),
        ("clinic", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
