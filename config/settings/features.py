"""Settings of the features above the patient record: background work (Celery),
outcomes (alert thresholds, digests, reminders) and integrations (webhooks, FHIR).

Imported at the end of ``config.settings.base`` (which it extends), so every
environment's settings see them.
"""

from config.env import env
from config.security import fernet_keys_check
from config.settings.base import REDIS_URL, REST_FRAMEWORK, SPECTACULAR_SETTINGS

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
# Email (invitations, alert digests, webhook notices): EMAIL_URL as django-environ reads
# it, e.g. smtp+tls://user:password@smtp.example.org:587 in production; the default
# prints messages on the console (development). docs/deployment.md, "Email".
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env(
    "DJANGO_DEFAULT_FROM_EMAIL", default="Rehabit <no-reply@localhost>"
)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Periodic tasks: name -> {"task": dotted path, "schedule": seconds or crontab}. The
# features that need them add their entries (alerts, digests, webhook sweeps).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

# ---------------------------------------------------------------------------
# Outcomes: alert thresholds and the clinicians' daily digest (docs/outcomes.md)
# ---------------------------------------------------------------------------
OUTCOMES_ALERTS = {
    # Pain flare: pain after >= pain before + FLARE_RISE, or pain after >= FLARE_PAIN.
    "FLARE_RISE": env.int("ALERT_FLARE_RISE", default=2),
    "FLARE_PAIN": env.int("ALERT_FLARE_PAIN", default=7),
    # High pain during any exercise of a session.
    "PAIN_DURING": env.int("ALERT_PAIN_DURING", default=7),
    # No session for this many days on an active plan.
    "INACTIVITY_DAYS": env.int("ALERT_INACTIVITY_DAYS", default=7),
    # Worsening trend: least-squares slope of pain after over the last TREND_DAYS, in
    # points per week, from at least TREND_MIN_SESSIONS sessions spanning 7+ days.
    "TREND_DAYS": env.int("ALERT_TREND_DAYS", default=14),
    "TREND_MIN_SESSIONS": env.int("ALERT_TREND_MIN_SESSIONS", default=4),
    "TREND_SLOPE": env.float("ALERT_TREND_SLOPE", default=1.0),
    # Repeated "too hard": the same exercise marked too_hard in TOO_HARD_COUNT of the
    # last TOO_HARD_SESSIONS sessions that included it.
    "TOO_HARD_COUNT": env.int("ALERT_TOO_HARD_COUNT", default=2),
    "TOO_HARD_SESSIONS": env.int("ALERT_TOO_HARD_SESSIONS", default=3),
}
# Local hour (clinician's time zone) from which the day's digest is sent.
OUTCOMES_DIGEST_HOUR = env.int("ALERT_DIGEST_HOUR", default=7)
CELERY_BEAT_SCHEDULE["outcomes-time-alerts"] = {
    "task": "outcomes.tasks.alerts_time_rules_run_task",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["outcomes-alert-digests"] = {
    "task": "outcomes.tasks.alert_digests_send_task",
    "schedule": 3600.0,
}
SPECTACULAR_SETTINGS["TAGS"] += [
    {"name": "alerts", "description": "Alerts on patients' data for their care team."},
]
SPECTACULAR_SETTINGS["TAGS"] += [
    {
        "name": "questionnaires",
        "description": "Outcome measures (PROMs): questionnaires, what is due, answers.",
    },
]
# Local time (patient's time zone) of the reminders in the iCalendar feed.
OUTCOMES_CALENDAR_TIME = env("OUTCOMES_CALENDAR_TIME", default="18:00")
SPECTACULAR_SETTINGS["TAGS"] += [
    {
        "name": "reminders",
        "description": "The patient's day and a secret iCalendar feed of the schedule.",
    },
]

# ---------------------------------------------------------------------------
# Integrations: signed webhooks and FHIR (integrations/, docs/integrations.md)
# ---------------------------------------------------------------------------
# Absolute links in webhook payloads and FHIR bundles start with this.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Outbound policy: https only and public addresses only, unless these allow more.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool(
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False
)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=5.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=10.0)
WEBHOOK_RESPONSE_EXCERPT_BYTES = 1024
# Retries: base x 3^n seconds (+-25 % jitter), at most the max, for the window (a day).
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=5.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=6 * 3600)
WEBHOOK_RETRY_WINDOW_SECONDS = env.int("WEBHOOK_RETRY_WINDOW_SECONDS", default=86400)
# A claimed message whose worker died is due again after this (> both timeouts).
WEBHOOK_LEASE_SECONDS = env.float("WEBHOOK_LEASE_SECONDS", default=60.0)
# Retries due sooner than this are queued with a countdown; later ones by the sweep.
WEBHOOK_COUNTDOWN_MAX_SECONDS = env.float(
    "WEBHOOK_COUNTDOWN_MAX_SECONDS", default=300.0
)
WEBHOOK_SWEEP_SECONDS = env.float("WEBHOOK_SWEEP_SECONDS", default=60.0)
# The event types some active endpoint subscribes to, cached so that a write no endpoint
# listens for runs no query for them (integrations/webhooks/services.py); removed by any
# save or delete of an endpoint; 0: off. Off by default without Redis: per-process
# memory cannot hear an endpoint registered in another process.
WEBHOOK_EVENTS_CACHE_SECONDS = env.int(
    "WEBHOOK_EVENTS_CACHE_SECONDS",
    default=300 if REDIS_URL else 0,
)
# Webhook secrets at rest: Fernet keys or, if none, SECRET_KEY's (docs/deployment.md, 8).
WEBHOOK_SECRET_KEYS = fernet_keys_check(env.list("WEBHOOK_SECRET_KEYS", default=[]))
# FHIR reads (integrations/fhir): their own rate per user, besides the API's.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["fhir"] = env(
    "API_THROTTLE_FHIR", default="300/min"
)
CELERY_BEAT_SCHEDULE["integrations.webhooks_sweep"] = {
    "task": "integrations.webhooks_sweep",
    "schedule": WEBHOOK_SWEEP_SECONDS,
}
