"""Instruments shipped with Rehabit as data (free to use; sources in each ``copyright``).

NPRS, PSFS and a Global Rating of Change. Licence-restricted instruments (e.g. the
Oswestry Disability Index) are not shipped: a clinic with a licence loads them with
``manage.py load_questionnaires <file.json>`` (docs/outcomes.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent
SHIPPED = ("nprs.json", "psfs.json", "groc.json")


def shipped_documents() -> list[dict[str, Any]]:
    """The shipped questionnaire documents, parsed."""
    return [json.loads((FOLDER / name).read_text(encoding="utf-8")) for name in SHIPPED]
