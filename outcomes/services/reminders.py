"""Writes for reminders: the secret of the patient's calendar feed."""

from __future__ import annotations

from django.db import transaction

from outcomes.models import CalendarFeed
from outcomes.models.reminders import new_token
from users.models import User

__all__ = ["calendar_feed_rotate"]


@transaction.atomic
def calendar_feed_rotate(*, patient: User) -> CalendarFeed:
    """Give the patient a new feed secret (the first one, or a replacement: the old URL
    stops working at once).
    """
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        patient=patient
    )
    if not created:
        feed.token = new_token()
        feed.save(update_fields=["token", "rotated_at"])
    return feed
