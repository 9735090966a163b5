"""``manage.py import_exercises [PATH]``: bootstrap the library from the Free Exercise DB.

Without PATH it reads the copy shipped in the repository (data/free-exercise-db/).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator

from exercises.importers import (
    ImportFileError,
    ImportReport,
    free_exercise_db_import,
    free_exercise_db_read,
)

IDS_SHOWN = 10
# The public-domain data set shipped with the project (data/free-exercise-db/README.md).
DEFAULT_PATH = settings.BASE_DIR / "data" / "free-exercise-db" / "exercises.json"


class Command(BaseCommand):
    help = (
        "Import the Free Exercise DB JSON file (a list of exercise records) as DRAFT "
        "exercises with source attribution. The whole file is validated first: a "
        "malformed file is rejected and nothing is written. Reruns are idempotent by "
        "source id: changed records update their draft, unchanged ones are left alone. "
        "Exercises that were submitted, published or archived, or drafts edited by "
        "someone since the import, are never overwritten (reported as skipped). "
        "Images are linked only with --image-base-url."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path",
            nargs="?",
            default=str(DEFAULT_PATH),
            help="Path to exercises.json (default: the copy in data/free-exercise-db/).",
        )
        parser.add_argument(
            "--image-base-url",
            metavar="URL",
            help="Link each record's images as media at URL/<image path>.",
        )
        parser.add_argument(
            "--author",
            metavar="EMAIL",
            help="An existing user recorded as the author of the imported exercises.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Do everything, report it, then roll it back.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        author = self._author(options["author"])
        image_base_url = self._image_base_url(options["image_base_url"])
        path = options["path"]
        try:
            records = free_exercise_db_read(path)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self.verbosity = options["verbosity"]
        if self.verbosity:
            self.stdout.write(f"Read {len(records)} valid records from {path}.")
        report = free_exercise_db_import(
            records=records,
            author=author,
            image_base_url=image_base_url,
            dry_run=options["dry_run"],
            progress=self._progress if self.verbosity else None,
        )
        self._summary(report, seconds=time.monotonic() - started)

    @staticmethod
    def _author(email: str | None) -> Any:
        if not email:
            return None
        user_model = get_user_model()
        try:
            return user_model.objects.get(email__iexact=email)
        except user_model.DoesNotExist:
            raise CommandError(f"--author: no user with email {email!r}.") from None

    @staticmethod
    def _image_base_url(url: str | None) -> str | None:
        if url is None:
            return None
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise CommandError(
                f"--image-base-url: {url!r} is not an http(s) URL."
            ) from None
        return url

    def _progress(self, done: int, total: int) -> None:
        if self.stdout.isatty():
            width = 30
            filled = width * done // total
            bar = "#" * filled + "-" * (width - filled)
            end = "\n" if done == total else ""
            self.stdout.write(f"\r[{bar}] {done}/{total} records", ending=end)
            self.stdout.flush()
        else:
            self.stdout.write(f"  {done}/{total} records processed")

    def _summary(self, report: ImportReport, *, seconds: float) -> None:
        write = self.stdout.write
        write(f"Created:   {len(report.created)}")
        write(f"Updated:   {len(report.updated)}")
        write(f"Unchanged: {len(report.unchanged)}")
        write(f"Skipped:   {report.skipped_count}")
        for reason, ids in sorted(report.skipped.items()):
            shown = ", ".join(ids[:IDS_SHOWN])
            more = f", and {len(ids) - IDS_SHOWN} more" if len(ids) > IDS_SHOWN else ""
            write(f"  - {reason}: {len(ids)} ({shown}{more})")
        if report.images_linked:
            write(f"Images:    {report.images_linked} linked")
        if report.images_not_linked:
            write(
                f"Images:    {report.images_not_linked} skipped "
                "(pass --image-base-url to link them)"
            )
        if report.muscles_created or report.equipment_created:
            write(
                f"New taxonomy: {len(report.muscles_created)} muscles, "
                f"{len(report.equipment_created)} equipment"
            )
        if report.dry_run:
            write(self.style.WARNING("Dry run: nothing was written."))
        else:
            write(self.style.SUCCESS(f"Done in {seconds:.1f} s."))
