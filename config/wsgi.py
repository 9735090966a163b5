"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

# Import every view, serializer and schema now rather than on the first request: a new
# worker answers its first requests at full speed instead of stalling them for the
# imports (with gunicorn's preload_app the master does it once for all workers).
get_resolver().url_patterns  # noqa: B018
