"""Starting a text from a ready-made one (notifications/canned.py), on a visit's panel and in a conversation: a
choice staff read by its English name, and "Fill in", which puts its words, in the patient's language, in the box.
"""

from django import forms

from notifications.canned import canned_choices


class ReadyMadeField(forms.ChoiceField):
    def __init__(self, *, label: str, noun: str, **kwargs):
        super().__init__(
            label=label,
            required=False,
            choices=[("", "Choose one"), *canned_choices()],
            help_text="In the patient’s language. “Fill in” puts it in the box below, to send as it is or change.",
            error_messages={"invalid_choice": f"Choose one of the {noun}."},
            **kwargs,
        )
        self.noun = noun


def not_filled_in(form: forms.Form) -> forms.Form:
    """The form sent back when "Fill in" had no ready-made text to fill in: one message, on the choice; an empty
    box is no mistake there."""
    form.full_clean()
    form.errors.pop("text", None)
    if "canned" not in form.errors:
        form.add_error("canned", f"Choose one of the {form.fields['canned'].noun}.")
    return form
