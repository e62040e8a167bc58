import json

from django.conf import settings
from django.core.management.base import BaseCommand

from clinic.catalogs import fill, read, update


class Command(BaseCommand):
    help = "Update the translation catalogs in locale/ from the sources, and compile them (no gettext tools needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fill",
            nargs="*",
            default=[],
            metavar="FILE",
            help='JSON files of translations to put in, {"language": {"msgid": "msgstr", ...}}',
        )

    def handle(self, *args, **options):
        for language, _ in settings.LANGUAGES:
            if language == settings.LANGUAGE_CODE:
                continue
            catalog = update(language)
            for name in options["fill"]:
                with open(name, encoding="utf-8") as f:
                    put = fill(language, json.load(f).get(language, {}))
                self.stdout.write(f"{language}: {put} translations from {name}")
                catalog = read(language)
            missing = [m.id for m in catalog if m.id and not m.string]
            self.stdout.write(f"{language}: {len(catalog)} messages, {len(missing)} not translated yet")
            for msgid in missing[:20]:
                self.stdout.write(f"  not translated: {msgid!r}")
