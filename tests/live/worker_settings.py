"""Settings of the Celery worker that tests/live starts: the test settings, a real broker.

The database comes from DATABASE_URL (the test database of the pytest process) and the
webhook timings from the WEBHOOK_* variables the fixture sets (config/settings/features.py).
"""

import os

from config.settings.test import *  # noqa: F403

CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
