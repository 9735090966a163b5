"""Load questionnaires (FHIR-like JSON documents) into the database.

    manage.py load_questionnaires oswestry.json [more.json ...]
    manage.py load_questionnaires --shipped

A file holds one Questionnaire document or a list of them (format: docs/outcomes.md).
Loading is idempotent per canonical URL and version; a version that has answers cannot
be changed (publish a new version). Only load instruments your clinic may use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from outcomes.instruments import shipped_documents
from outcomes.services.proms import questionnaire_load


class Command(BaseCommand):
    help = "Load questionnaires from JSON files (or the shipped ones with --shipped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", help="JSON files to load.")
        parser.add_argument(
            "--shipped", action="store_true", help="(Re)load the shipped instruments."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        documents: list[tuple[str, Any]] = []
        if options["shipped"]:
            documents += [("shipped", document) for document in shipped_documents()]
        for name in options["files"]:
            try:
                data = json.loads(Path(name).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(f"{name}: {error}") from error
            items = data if isinstance(data, list) else [data]
            documents += [(name, document) for document in items]
        if not documents:
            raise CommandError("Name at least one file, or use --shipped.")
        with transaction.atomic():  # all or nothing
            for source, document in documents:
                if not isinstance(document, dict):
                    raise CommandError(f"{source}: each questionnaire is an object.")
                try:
                    questionnaire, created = questionnaire_load(document=document)
                except ValidationError as error:
                    raise CommandError(
                        f"{source}: {document.get('url', '?')}: {error.message_dict}"
                    ) from error
                verb = "Created" if created else "Updated"
                self.stdout.write(
                    f"{verb} {questionnaire.canonical} ({questionnaire.title})"
                )
