"""ASGI entry point."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# What django.core.asgi.get_asgi_application does, with the project's handler (each
# path resolved once per process: config/handlers.py).
django.setup(set_prefix=False)

from config.handlers import ASGIHandler  # noqa: E402 - after the apps are loaded

application = ASGIHandler()
