"""Local development: DEBUG on, SQLite by default, a fixed insecure key."""

from config.env import env
from config.logs import build_logging
from config.settings.base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="django-insecure-local-development-only-key-change-me"
)

# runserver serves static files itself; WhiteNoise looks in the apps' folders too.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Human-readable log lines in a terminal (DJANGO_LOG_FORMAT=json to see production's).
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="console")
LOGGING = build_logging(LOG_FORMAT, LOG_LEVEL)  # noqa: F405

# Webhooks to a receiver on this machine (http://127.0.0.1:...) are allowed here.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=True)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool(
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=True
)
