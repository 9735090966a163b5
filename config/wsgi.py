"""WSGI entry point (gunicorn config.wsgi)."""

import os

import django
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# What django.core.wsgi.get_wsgi_application does, with the project's handler (each
# path resolved once per process: config/handlers.py).
django.setup(set_prefix=False)

from config.handlers import WSGIHandler  # noqa: E402 - after the apps are loaded

application = WSGIHandler()

# Import every view, serializer and schema now rather than on the first request: a new
# worker answers its first requests at full speed instead of stalling them for the
# imports (with gunicorn's preload_app the master does it once for all workers).
get_resolver().url_patterns  # noqa: B018
