"""The single environment reader of the project (django-environ).

``.env`` in the project root is read if present; real environment variables win.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)
