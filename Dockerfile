# Production image: slim, non-root, gunicorn. Dependencies from the hashed lock only.
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --require-hashes --no-deps -r requirements/base.txt \
 && useradd --create-home --uid 10001 rehabit

# Code and static files stay owned by root: the process cannot rewrite what it runs.
COPY . .
# Hashed, compressed static files for WhiteNoise. collectstatic needs settings to
# import; these build-time values are never used at run time.
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    DJANGO_ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.db \
    python manage.py collectstatic --noinput -v0 \
 && rm -f /tmp/build.db

USER rehabit
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 CMD ["bin/healthcheck"]
# Migrations (DJANGO_MIGRATE_ON_START, default true), then gunicorn (gunicorn.conf.py).
CMD ["bin/serve"]
