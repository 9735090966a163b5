"""The Celery application: background work (alerts, digests, webhook deliveries).

Redis is the broker (``CELERY_BROKER_URL``, default ``REDIS_URL``). Tasks live in each
app's ``tasks.py`` and are found by ``autodiscover_tasks``; periodic ones are listed in
``CELERY_BEAT_SCHEDULE`` (settings). Every task is idempotent: a retry, a redelivery after
a worker died (``acks_late``) or a second beat tick changes nothing twice. Without a
broker (``make run`` with no Redis) tasks run eagerly in the web process
(docs/deployment.md, "Background work").
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("rehabit")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
