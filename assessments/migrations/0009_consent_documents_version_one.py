"""Version 1 of the Notice of Privacy Practices and of the consent to evaluation and treatment, in plain English.

The wording is the clinic's to change in the admin (as a new version); this is where it starts.
"""

from django.db import migrations
from django.utils import timezone

PRIVACY = """\
This notice says how we may use and share health information about you, and how you can see it. Please read it carefully.

## Our promise
Your health information is private. We keep it safe, we use it to care for you and to run the clinic, and we share it only as this notice says. The law requires us to protect it, to give you this notice, and to follow it.

## How we use and share it
- To treat you: your physical therapist reads your questionnaire and notes to plan your care, and may share them with your doctor or anyone else who treats you.
- To get paid: we share what is needed with you, your health plan or another payer, to bill for your care.
- To run the clinic: we check the quality of our care, train our team and keep our records, using only what is needed.
- To remind you: we send confirmations and reminders of your visits by email or text. They never hold health details.

## When the law allows or requires us to share it
- For public health and safety, such as reporting abuse or neglect, or to prevent a serious threat to someone's health or safety.
- When the law requires it, including when the U.S. Department of Health and Human Services checks that we follow privacy law.
- For workers' compensation claims, health oversight agencies, law enforcement, and in answer to a court order or subpoena.
- To a coroner or medical examiner, for organ donation, and for research approved with privacy protections.

## When we need your written permission
We never sell your information, and we never use it for marketing without your written permission. Any other use needs your written permission too, and you can take it back, in writing, at any time.

## Your rights
- See or get a copy of your records, on paper or electronically. We usually answer within 30 days, and may charge a reasonable, cost-based fee.
- Ask us to correct your records if you think they are wrong or incomplete. If we say no, we will tell you why in writing within 60 days.
- Ask us to reach you in a certain way or at a certain place, such as another phone number. We will say yes to every reasonable request.
- Ask us to limit what we use or share. We do not have to agree, but if you pay for a service in full yourself, we will not share it with your health plan unless the law requires us to.
- Get a list of the times we shared your information in the last six years, other than for your care, payment, running the clinic and a few other cases.
- Get a paper copy of this notice at any time, even if you agreed to get it electronically.
- Choose someone, such as a parent, a guardian or someone with your medical power of attorney, to act for you.

## Our duties
We will tell you promptly if a breach happens that may have put your information at risk. California law protects your medical information too, and where it gives you more protection, we follow it.

## Questions and complaints
Questions, or think we did not protect your privacy? Ask for our Privacy Officer at the phone number or email on this page. You can also complain to the U.S. Department of Health and Human Services, Office for Civil Rights, at www.hhs.gov/ocr/complaints or 1-877-696-6775. We will never hold a complaint against you.

## Changes to this notice
We may change this notice, and the change will apply to all the information we hold about you. The current notice is always on our website and at the clinic, with the date it took effect.
"""

TREATMENT = """\
By checking the box below, you agree to be evaluated and treated by our licensed physical therapists.

## What we do
We ask about your pain, your running and your health. We watch you move, and test your strength, balance and single-leg control. Treatment may include exercises, hands-on (manual) therapy such as soft-tissue work and joint mobilization, and advice about your training. We film your stride only if you say yes below.

## Benefits and risks
Most runners move better and hurt less, but we cannot promise a result. You may feel sore or tired for a day or two after testing or treatment. Serious problems, such as a fall or an injury, are rare.

## You are in charge
Ask us anything, at any time. You can say no to any test or treatment, or stop at any point, and we will respect it. Tell us right away if something hurts more than you expected.

## When a doctor should see you
In California you can see a physical therapist without a doctor's referral. Your physical therapist is not a doctor and does not diagnose disease. If we find signs of something a doctor should check, or you are not getting better, we will tell you and refer you, and with your permission share what we found.

## Your part
Tell us about your health fully and honestly, and let us know of any change before each visit.

This consent covers this visit and follow-up visits for the same problem. You can withdraw it at any time by telling us.
"""


def publish_version_one(apps, schema_editor):
    ConsentDocument = apps.get_model("assessments", "ConsentDocument")
    now = timezone.now()
    for kind, body in (("privacy", PRIVACY), ("treatment", TREATMENT)):
        if not ConsentDocument.objects.filter(kind=kind, version__isnull=False).exists():
            ConsentDocument.objects.create(kind=kind, version=1, body=body, published_at=now)


def remove_version_one(apps, schema_editor):
    apps.get_model("assessments", "ConsentDocument").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0008_consent_documents")]

    operations = [migrations.RunPython(publish_version_one, remove_version_one)]
