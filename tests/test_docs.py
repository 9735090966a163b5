"""The README leads to every page of the documentation."""

from __future__ import annotations

import re

from tests.resilience.live import ROOT

LINK = re.compile(r"\]\((docs/[^)#\s]+\.md)")


def test_readme_further_reading_lists_every_page_under_docs():
    readme = (ROOT / "README.md").read_text()
    further = readme.split("## Further reading", 1)[1].split("\n## ", 1)[0]
    pages = {f"docs/{path.name}" for path in (ROOT / "docs").glob("*.md")}

    assert pages
    assert set(LINK.findall(further)) == pages
