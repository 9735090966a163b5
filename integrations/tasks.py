"""Celery tasks of the integrations app: webhook deliveries and the outbox sweep.

Both are idempotent: a message is claimed with a lease before it is sent, so a task
delivered twice (a redelivery after a worker died, a sweep racing a retry) sends once.
"""

from __future__ import annotations

from celery import shared_task

from integrations.webhooks import services


@shared_task(name="integrations.webhook_deliver", ignore_result=True)
def webhook_deliver(message_id: str) -> None:
    """One attempt of one outbox message, if it is due and nobody else holds it."""
    services.message_deliver(message_id=message_id)


@shared_task(name="integrations.webhooks_sweep", ignore_result=True)
def webhooks_sweep() -> int:
    """Hand every due message to the workers (beat runs this every minute)."""
    due = services.messages_due()
    for message_id in due:
        webhook_deliver.apply_async(args=(str(message_id),), retry=False)
    return len(due)
