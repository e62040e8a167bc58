"""The staff roles. Front desk runs the calendar and sees only whether an intake is done or flagged;
clinicians also read intake answers (and the log of who read them); the manager (the clinic's owner)
does what the front desk does, and sets prices and promotions, edits the clinic's profile and hours,
refunds payments, and publishes the privacy notice and the consent to treatment. No role but the clinician reads
intake answers. All three read and answer patients' texts (the manager also reads the log of who opened them)."""

READ_ANSWERS = "assessments.view_intake_answers"  # the permission that opens a patient's intake answers
FRONT_DESK = "Front desk"
CLINICIAN = "Clinician"
MANAGER = "Manager"

FRONT_DESK_GRANTS = {
    "booking": [
        "view_booking",
        "change_booking",
        "view_slot",
        "add_slot",
        "change_slot",
        "view_service",
        "view_promotion",
        "view_payment",
        "view_refund",
        "view_deskpayment",
        "add_deskpayment",  # money taken at the desk
    ],
    "clinic": [
        "view_clinic",
        "view_openinghours",
        "view_closure",
        "add_closure",
        "change_closure",
        "view_practitioner",
    ],
    # read_texts: the text inbox, where patients' own words are (each opening logged).
    "notifications": ["view_message", "change_message", "view_optout", "view_inboundtext", "read_texts"],
    "waitlist": ["view_waitlistentry", "change_waitlistentry"],
}

GRANTS = {
    FRONT_DESK: FRONT_DESK_GRANTS,
    MANAGER: {
        **FRONT_DESK_GRANTS,
        "booking": [
            *FRONT_DESK_GRANTS["booking"],
            "refund_payment",  # money back: the manager's alone
            "add_promotion",
            "change_promotion",
            "add_service",
            "change_service",
            "view_stripeevent",
        ],
        "clinic": [
            *FRONT_DESK_GRANTS["clinic"],
            "change_clinic",
            "add_openinghours",
            "change_openinghours",
            "delete_openinghours",
            "delete_closure",
            "add_practitioner",
            "change_practitioner",
        ],
        "notifications": [*FRONT_DESK_GRANTS["notifications"], "view_conversationaccess"],
        # The privacy notice and the consent to treatment: the wording, never an intake.
        "assessments": [
            "view_consentdocument",
            "add_consentdocument",
            "change_consentdocument",
            "delete_consentdocument",
        ],
    },
    CLINICIAN: {
        "booking": ["view_booking", "view_slot", "view_service"],
        "clinic": ["view_clinic", "view_practitioner"],
        "assessments": ["view_intake", "view_intake_answers", "view_intakeaccess"],
        "notifications": ["read_texts"],
    },
}


def migrate_groups(apps, schema_editor) -> None:
    """A data migration's step: the groups as GRANTS has them now."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; make them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def ensure_groups(group_model, permission_model) -> None:
    """Create the groups with their permissions (idempotent); the permissions must exist already."""
    for name, grants in GRANTS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for app_label, codenames in grants.items():
            group.permissions.add(
                *permission_model.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )
