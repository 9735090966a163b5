"""Signed webhooks (Standard Webhooks): endpoints, an outbox, deliveries by Celery workers."""
