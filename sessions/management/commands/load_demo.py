"""``manage.py load_demo``: the demo library (exercises.demo), the development logins
(users.demo), the demo patient (sessions.demo) and their outcomes (outcomes.demo).

It lives in ``sessions``, the app that sees all three: the library knows nothing of
patients."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from common.demo import DemoReport
from exercises.demo import demo_load
from outcomes.demo import demo_outcomes_load
from sessions.demo import demo_patient_load


class Command(BaseCommand):
    help = (
        "Load the demo content (the glute activation routine for lower back pain and "
        "its exercises), published. Idempotent: only missing rows are created, so a "
        "second run writes nothing and local edits are kept; --reset restores changed "
        "demo rows. When DEBUG is on it also creates the development logins (an admin "
        "and two clinicians) and prints them, and a demo patient in the clinician's care "
        "with the routine prescribed and a few weeks of logged sessions (added once: "
        "nothing is added once the patient has sessions); with DEBUG off it never "
        "creates accounts but still loads the content."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-logins",
            action="store_true",
            help="Do not create the development logins (content only).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Also bring existing demo rows (and login passwords) back to the "
            "reference content, saving only what differs.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = demo_load(logins=not options["no_logins"], reset=options["reset"])
        demo_patient_load(
            report=report, logins=not options["no_logins"], reset=options["reset"]
        )
        demo_outcomes_load(report=report, logins=not options["no_logins"])
        self._summary(report)

    def _summary(self, report: DemoReport) -> None:
        write = self.stdout.write
        if report.created:
            write("Demo content created: " + _counts(report.created) + ".")
        if report.restored:
            write("Demo content restored: " + _counts(report.restored) + ".")
        if not report.changed_anything:
            write("Demo content already loaded; nothing changed.")
        base = f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}"
        if report.logins:
            write(
                self.style.WARNING(
                    "Development logins (DEBUG only; never use these in production):"
                )
            )
            width = max(len(demo.email) for demo in report.logins)
            for demo in report.logins:
                write(
                    f"  {demo.key:<10} {demo.email:<{width}}  password: {demo.password}"
                )
            write(
                "  (passwords as created; `manage.py load_demo --reset` restores them)"
            )
        elif report.logins_note:
            write(report.logins_note)
        write(f"Admin:    {base}/admin/")
        write(f"API docs: {base}/api/docs/")


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{label}: {count}" for label, count in sorted(counter.items()))
