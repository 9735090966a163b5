"""Production: secrets have no defaults, so a missing one stops the process at import.

A short or placeholder DJANGO_SECRET_KEY (the .env.example value, a development key)
stops it too: whoever knows the key can sign tokens for any account.
"""

from config.env import env
from config.security import secret_key_check
from config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = secret_key_check(env("DJANGO_SECRET_KEY"))
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
postgresql_prepared(DATABASES["default"])  # noqa: F405
# Bounded waits: a database that does not answer is an error (503), not a hung worker.
# statement_timeout stops a query (slow plan, lock wait) well before gunicorn's timeout;
# 0 disables it (the start script migrates with 0: a migration may rightly be long).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _statement_timeout_ms = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=10_000)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=5),
            "options": f"-c statement_timeout={_statement_timeout_ms}",
        }
    )
    # Django's backend, its CONN_HEALTH_CHECKS made without a round trip when the
    # server has sent nothing since the last answer (config/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "config.db.postgresql"

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}

# ---------------------------------------------------------------------------
# Security (behind a TLS-terminating proxy that sets X-Forwarded-Proto)
# ---------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
