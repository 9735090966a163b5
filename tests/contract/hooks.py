"""Schemathesis hooks for the contract fuzzing (``hooks`` in schemathesis.toml).

Schemathesis skips its status-code check for requests that are malformed on purpose
(a body sent as ``text/plain``, a broken ``Content-Type``): for those it only looks for
server errors. This API promises more: every rejection is documented, so a wrong or
malformed content type must get one of the operation's documented statuses (415, or
400 for a malformed header).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import schemathesis
from schemathesis.generation.meta import CONTENT_TYPE_PROBES, CoveragePhaseData

if TYPE_CHECKING:
    from schemathesis import CheckContext, Response
    from schemathesis.generation.case import Case


def _documented(case: Case) -> set[str]:
    return {str(code).upper() for code in case.operation.responses.status_codes}


@schemathesis.check
def content_type_rejection_is_documented(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    """A request with a wrong or malformed Content-Type gets a documented status."""
    data = case.meta.phase.data if case.meta is not None else None
    if (
        not isinstance(data, CoveragePhaseData)
        or data.scenario not in CONTENT_TYPE_PROBES
    ):
        return None
    status = str(response.status_code)
    documented = _documented(case)
    if status not in documented and f"{status[0]}XX" not in documented:
        raise AssertionError(
            f"{data.description}: got {status}, documented: "
            f"{', '.join(sorted(documented))}"
        )
    return None
