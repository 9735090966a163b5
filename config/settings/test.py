"""Test settings: fast hashing, in-memory email; the database comes from DATABASE_URL."""

from config.logs import build_logging
from config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Serve static files from the apps' folders (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Quiet: no per-request log lines; warnings and errors still reach pytest's capture.
LOGGING = build_logging("console", "WARNING", quiet=True)

# Unit tests run tasks in the calling thread; tests/live drives a real worker and Redis.
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True

# Webhook tests deliver to receivers on 127.0.0.1 over plain http.
WEBHOOK_ALLOW_HTTP = True
WEBHOOK_ALLOW_PRIVATE_NETWORKS = True

# The account cache (users/cache.py) and the webhooks' event types
# (integrations/webhooks/services.py) are on in the suite as with Redis in production
# (each test process is one process: its saves reach its own memory cache).
USER_CACHE_SECONDS = 300
WEBHOOK_EVENTS_CACHE_SECONDS = 300
