"""The schema endpoint (``/api/schema/``).

Not in config/api/schema.py: that module is DRF's DEFAULT_SCHEMA_CLASS, which
drf_spectacular.views imports while it is being imported itself.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.response import Response

_SCHEMA_LOCK = threading.Lock()


class SchemaView(SpectacularAPIView):
    """drf-spectacular's schema view, generating one schema at a time per process.

    Generation is not thread-safe: drf-spectacular's extensions import their target
    classes lazily, and two threads doing that at once (gunicorn's gthread workers)
    made concurrent ``GET /api/schema/`` requests fail with a 500.
    """

    @extend_schema(**SCHEMA_KWARGS)  # as the parent's: not in the schema itself
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with _SCHEMA_LOCK:
            return super().get(request, *args, **kwargs)
