"""Settings shared by every environment. Values come from the environment (config.env)."""

import logging
from datetime import timedelta

from config.env import BASE_DIR, env
from config.logs import build_logging, configure_structlog

# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

DJANGO_APPS = [
    "django.contrib.admin",
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
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    # First: the request id marks every response, static files and refusals included.
    "config.logs.RequestIdMiddleware",
    # Probes answer before host validation, the HTTPS redirect and the request log.
    "config.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Binds request_id/user_id/ip to every log line; logs request_finished (the access
    # log; static files and HTTPS redirects above are not logged).
    "django_structlog.middlewares.RequestMiddleware",
    # 413 before anything reads the body.
    "config.middleware.BodySizeLimitMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag on every GET response, and 304 for a matching If-None-Match.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: locks out repeated failed logins (admin and API).
    "axes.middleware.AxesMiddleware",
]

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
# django-axes: after AXES_FAILURE_LIMIT failed logins for one email from one address,
# that pair is locked out for AXES_COOLOFF_TIME (the API answers 429 with Retry-After).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
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
REDIS_URL = env("REDIS_URL", default="")
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

# ---------------------------------------------------------------------------
# Django REST framework
# ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser with a nesting limit (deep bodies are a 400, not a RecursionError).
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.JSONParser"],
    # Proxies in front of the app (load balancer: 1): rate limits key on the client's
    # address from X-Forwarded-For instead of the proxy's. Unset: REMOTE_ADDR.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=None),
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.LimitOffsetPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
        # Scoped throttles (ScopedRateThrottle) for the authentication endpoints.
        "auth": env("API_THROTTLE_AUTH", default="20/min"),
        "register": env("API_THROTTLE_REGISTER", default="10/hour"),
        # Invitations: sending/revoking, and redeeming codes (guessing is hopeless
        # at 50 bits, and this budget keeps it so).
        "invitations": env("API_THROTTLE_INVITATIONS", default="60/hour"),
        "invite_redeem": env("API_THROTTLE_INVITE_REDEEM", default="10/hour"),
    },
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exceptions.problem_exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
}

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

SPECTACULAR_SETTINGS = {
    "TITLE": "Rehabit API",
    "DESCRIPTION": (BASE_DIR / "docs" / "api-description.md").read_text(
        encoding="utf-8"
    ),
    "VERSION": "1.0.0",
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
# CORS: mobile apps do not need it; browser integrators list their origins
# ---------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# ---------------------------------------------------------------------------
# Logging: JSON lines on stderr (DJANGO_LOG_FORMAT=console for humans), each with the
# request id (X-Request-ID from the load balancer when sane, else a new UUID; echoed
# in the response). See config/logs.py.
# ---------------------------------------------------------------------------
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOG_FORMAT = env("DJANGO_LOG_FORMAT", default="json")
LOGGING = build_logging(LOG_FORMAT, LOG_LEVEL)
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
# One line per request (request_finished, with code and duration_ms) is the access log.
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
configure_structlog()

# ---------------------------------------------------------------------------
# Background work: Celery, with Redis as the broker (config/celery.py)
# ---------------------------------------------------------------------------
# No broker configured (make run without Redis): tasks run eagerly in the web process
# and nothing periodic runs (docs/deployment.md, "Background work").
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
CELERY_RESULT_BACKEND = None  # tasks record their outcome in the database themselves
CELERY_TASK_IGNORE_RESULT = True
# Redis redelivers an unacknowledged task after this many seconds: longer than any task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Email (invitations): EMAIL_URL as django-environ reads it, e.g.
# smtp+tls://user:password@smtp.example.org:587 in production; the default prints
# messages on the console (development). docs/deployment.md, "Email".
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Rehabit <no-reply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Periodic tasks: name -> {"task": dotted path, "schedule": seconds or crontab}. The
# features that need them add their entries (alerts, digests, webhook sweeps).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
