"""Settings shared by every environment. Values come from the environment (config.env)."""

import logging
from datetime import timedelta
from typing import Any

import django_stubs_ext

from config.env import BASE_DIR, env
from config.logs import build_logging, configure_structlog
from config.version import service_version

# Generic Django classes (ModelAdmin[Exercise], ModelForm[Plan]...) subscriptable at
# runtime, as mypy reads them.
django_stubs_ext.monkeypatch()

# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

DJANGO_APPS = [
    "config.apps.RehabitAdminConfig",  # django.contrib.admin, branded (config/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "adminsortable2",
    "corsheaders",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "django_structlog",
]
LOCAL_APPS = [
    "users.apps.UsersConfig",
    "exercises.apps.ExercisesConfig",
    "sessions.apps.TrainingSessionsConfig",
    "outcomes.apps.OutcomesConfig",
    "integrations.apps.IntegrationsConfig",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    # First: the request id marks every response, static files and refusals included.
    "config.logs.RequestIdMiddleware",
    # Probes answer before host validation, the HTTPS redirect and the request log.
    "config.health.ProbeMiddleware",
    "config.middleware.SecurityMiddleware",
    # Content-Security-Policy (the admin above all; see CONTENT_SECURITY_POLICY).
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Binds request_id/user_id/ip to every log line; logs request_finished (the access
    # log; static files and HTTPS redirects above are not logged).
    "config.access_log.AccessLogMiddleware",
    # 413 before anything reads the body.
    "config.middleware.BodySizeLimitMiddleware",
    "config.middleware.CorsMiddleware",
    # The browser-only middlewares (sessions, idle expiry, CSRF, the session's user,
    # flash messages) do nothing for an API call without cookies: config.middleware.
    "config.middleware.SessionMiddleware",
    # Idle expiry of admin sessions: a request pushes the expiry forward.
    "config.middleware.SessionIdleMiddleware",
    # Django's (host validation, APPEND_SLASH, Content-Length): config.middleware.
    "config.middleware.CommonMiddleware",
    # Cache-Control: no-store on every authenticated API answer (personal data).
    "config.middleware.PrivateNoStoreMiddleware",
    # ETag on every GET response, and 304 for a matching If-None-Match.
    "config.middleware.ConditionalGetMiddleware",
    "config.middleware.CsrfViewMiddleware",
    "config.middleware.AuthenticationMiddleware",
    # Flash messages of the admin (not set up for API paths).
    "config.middleware.AdminMessageMiddleware",
    "config.middleware.XFrameOptionsMiddleware",
    # simple_history's, on the methods that can write.
    "config.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: locks out repeated failed logins (admin and API).
    "axes.middleware.AxesMiddleware",
]

# Django's checks for SecurityMiddleware, XFrameOptionsMiddleware and CsrfViewMiddleware
# look for Django's own paths; MIDDLEWARE has subclasses of them (config.middleware), so
# config/checks.py checks for the class or a subclass instead.
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ---------------------------------------------------------------------------
# Database: SQLite by default, DATABASE_URL (e.g. postgres://...) otherwise
# ---------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# PostgreSQL plans a statement once per connection instead of on every execution: the
# parameters are bound by the server (psycopg's server-side binding) and a statement run
# DATABASE_PREPARE_THRESHOLD times on a connection is prepared (docs/deployment.md: a
# transaction-mode PgBouncer needs 1.21+ with max_prepared_statements, or 0 here).
# 0: client-side binding, nothing prepared (Django's default).
DATABASE_PREPARE_THRESHOLD = env.int("DATABASE_PREPARE_THRESHOLD", default=5)


def postgresql_prepared(database: dict[str, Any]) -> None:
    """Server-side binding and prepared statements for a PostgreSQL ``database``."""
    if DATABASE_PREPARE_THRESHOLD > 0 and database["ENGINE"] == (
        "django.db.backends.postgresql"
    ):
        database.setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=DATABASE_PREPARE_THRESHOLD
        )


postgresql_prepared(DATABASES["default"])
# Larger bodies get 413 (config.middleware); the largest valid session upload is ~0.7 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_MAX_REQUEST_BYTES", default=1024 * 1024)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Proxies trusted to append the client's address to X-Forwarded-For (a load balancer in
# front: 1). Default 0: the header is the client's own text and is ignored; the address
# is the connection's (REMOTE_ADDR). DRF's throttles (NUM_PROXIES) and django-axes
# (config.security.client_ip) both read this one number: docs/security.md.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Failed logins (users/lockout.py, docs/security.md), admin and API alike:
# - AXES_FAILURE_LIMIT failures for one account from one client address lock that pair
#   for AXES_COOLOFF_TIME (the API answers 429 with Retry-After);
# - LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, any accounts: that address;
# - past LOGIN_ACCOUNT_FREE_FAILURES failures for an account from anywhere, each attempt
#   waits 1, 2, 4... seconds after the last failure, at most the maximum: a delay an
#   attacker cannot turn into a lockout of the real owner.
AXES_HANDLER = "users.lockout.LoginPolicyHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=30)
LOGIN_ACCOUNT_FREE_FAILURES = env.int("LOGIN_ACCOUNT_FREE_FAILURES", default=10)
LOGIN_ACCOUNT_DELAY_MAX_SECONDS = env.int(
    "LOGIN_ACCOUNT_DELAY_MAX_SECONDS", default=300
)
# The API posts `email`, the admin's form `username`: one normalised account either way.
AXES_USERNAME_CALLABLE = "config.security.login_username"
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
# Attempts refused while locked are not counted and do not restart the cool-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The access log's "ip" is config.security.client_ip too (config.access_log.AccessLogMiddleware).

# Admin sessions (database sessions; the API uses tokens) end after this much idle
# time: requests push the expiry forward (config.middleware.SessionIdleMiddleware;
# ASVS 3.3.2).
SESSION_COOKIE_AGE = 60 * env.int("ADMIN_SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        # ASVS 2.1.1: at least 12 characters.
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ---------------------------------------------------------------------------
# I18N, static files
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# ---------------------------------------------------------------------------
# Cache (rate limits live here): Redis when REDIS_URL is set, else per-process memory
# ---------------------------------------------------------------------------
REDIS_URL: str = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # Redis down must not take the API down: rate limiting degrades instead.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Public catalog reads are cached in it (exercises/cache.py); 0 turns that off.
CATALOG_CACHE_SECONDS = env.int("CATALOG_CACHE_SECONDS", default=3600)
# A patient's reads of their own data (sessions/cache.py): dropped on any change; 0: off.
PATIENT_CACHE_SECONDS = env.int("PATIENT_CACHE_SECONDS", default=600)
# A clinician's alert list (outcomes/cache.py; every read still logged): dropped by any
# write to alerts, care relationships or accounts; 0: off.
ALERT_CACHE_SECONDS = env.int("ALERT_CACHE_SECONDS", default=300)
# The account behind a bearer token, for reads (users/cache.py); 0: off. Off by default
# without Redis: one process's per-process memory cannot hear another's save of an
# account (a deactivation in the admin) before its copy expires.
USER_CACHE_SECONDS = env.int("USER_CACHE_SECONDS", default=300 if REDIS_URL else 0)

# ---------------------------------------------------------------------------
# Django REST framework
# ---------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt, with a `token_expired` code for expired access tokens.
        "config.api.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON, byte for byte, written by orjson (config/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["config.api.renderers.JSONRenderer"],
    # DRF's JSON parser with a nesting limit (deep bodies are a 400, not a RecursionError).
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.JSONParser"],
    # DRF's, its choice remembered per (renderers, Accept, format): config/api/negotiation.py.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.api.negotiation.ContentNegotiation",
    # The trusted-proxy setting above: 0 keys rate limits on REMOTE_ADDR and ignores
    # X-Forwarded-For (DRF's default, None, would key on the client-written header).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.LimitOffsetPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttling.AnonRateThrottle",
        "config.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
        # Scoped throttles (ScopedRateThrottle) for the authentication endpoints.
        "auth": env("API_THROTTLE_AUTH", default="20/min"),
        "register": env("API_THROTTLE_REGISTER", default="10/hour"),
        # me/export/: the whole account in one answer, an expensive read.
        "export": env("API_THROTTLE_EXPORT", default="6/hour"),
        # Invitations: sending/revoking, and redeeming codes (guessing is hopeless
        # at 50 bits, and this budget keeps it so).
        "invitations": env("API_THROTTLE_INVITATIONS", default="60/hour"),
        "invite_redeem": env("API_THROTTLE_INVITE_REDEEM", default="10/hour"),
        # Library writes by clinicians (private content, drafts, revisions, reviews).
        "library_writes": env("API_THROTTLE_LIBRARY_WRITES", default="120/hour"),
    },
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exceptions.problem_exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
}

# Uploads per patient in any 24 hours, then 429 upload_quota_exceeded (docs/sync.md).
SESSION_UPLOAD_DAILY_MAX_SESSIONS = env.int("SESSION_UPLOAD_DAILY_MAX_SESSIONS", 50)
SESSION_UPLOAD_DAILY_MAX_SETS = env.int("SESSION_UPLOAD_DAILY_MAX_SETS", 5000)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env.int("JWT_ACCESS_MINUTES", default=5)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
}
# A refresh token used again within this many seconds of its exchange gets the same new
# pair (a retry whose answer was lost); later, its whole family is revoked (reuse).
JWT_REFRESH_REUSE_GRACE_SECONDS = env.int("JWT_REFRESH_REUSE_GRACE_SECONDS", default=10)

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Rehabit API",
    "DESCRIPTION": (BASE_DIR / "docs" / "api-description.md").read_text(
        encoding="utf-8"
    ),
    "VERSION": service_version(),  # pyproject.toml's, the one version (config.version)
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # the default
        # x-enum-varnames, so generated clients get NAME_DESC rather than VALUE_0.
        "config.api.schema.name_enum_members",
    ],
    "ENUM_NAME_OVERRIDES": {
        # Choice sets reused by several components (library and plans) need one name.
        "PlanStatusEnum": "sessions.models.Plan.Status",
        "ContentStatusEnum": "common.models.Status",
        "InstructionKindEnum": "exercises.models.ExerciseInstruction.Kind",
        "MediaKindEnum": "exercises.models.ExerciseMedia.Kind",
        "SessionExerciseStatusEnum": "sessions.models.SessionExercise.Status",
        "FeedbackDifficultyEnum": "sessions.models.SessionExercise.Difficulty",
        "DifficultyEnum": "exercises.models.Exercise.Difficulty",
        "DosageDirectionEnum": "common.models.Direction",
        "DirectionEnum": "sessions.progress.Direction.choices",
    },
    "TAGS": [
        {"name": "service", "description": "The API's index, version and status."},
        {
            "name": "auth",
            "description": "Registration, login, token refresh and logout.",
        },
        {
            "name": "me",
            "description": "The signed-in account: profile, password, export, erasure.",
        },
        {
            "name": "library",
            "description": "The published exercise library and its taxonomies.",
        },
        {"name": "routines", "description": "Routine templates curated by clinicians."},
        {
            "name": "patients",
            "description": "A clinician's patients, with pain and adherence.",
        },
        {
            "name": "plans",
            "description": "Routines prescribed to one patient, with a schedule.",
        },
        {
            "name": "sessions",
            "description": "Session logs: idempotent uploads, optimistic edits, sync.",
        },
        {"name": "progress", "description": "Weekly adherence and pain, per patient."},
        {
            "name": "invitations",
            "description": "Clinicians invite patients into their care with a "
            "single-use code.",
        },
    ],
}

# ---------------------------------------------------------------------------
# Content-Security-Policy (django-csp). The admin runs no inline script: scripts,
# frames, forms and connections are this origin's only. Inline styles stay allowed
# (widgets set them); the API docs pages (inline bootstrap script) are left out.
# ---------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs", "/api/redoc"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# ---------------------------------------------------------------------------
# CORS: mobile apps do not need it; browser integrators list their origins
# ---------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# ---------------------------------------------------------------------------
# Logging: JSON lines on stderr (DJANGO_LOG_FORMAT=console for humans), each with the
# request id (X-Request-ID from the load balancer when sane, else a new UUID; echoed
# in the response). See config/logs.py; the access log: config/access_log.py.
# ---------------------------------------------------------------------------
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="json")
LOGGING = build_logging(LOG_FORMAT, LOG_LEVEL)
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
# One line per request (request_finished, with code and duration_ms) is the access log.
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
configure_structlog()

# Background work, outcomes and integrations: config/settings/features.py (it reads
# REDIS_URL, REST_FRAMEWORK and SPECTACULAR_SETTINGS above and extends them).
from config.settings.features import *  # noqa: E402, F403
