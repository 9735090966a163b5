"""HTTP interface of reminders: the patient's day and their secret iCalendar feed.

Thin: parse, call one service or selector, render (docs in outcomes/api/openapi_reminders.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.decorators import method_decorator
from rest_framework import exceptions, renderers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.throttling import round_trip_found
from outcomes.api.openapi_reminders import (
    CALENDAR_FEED_SCHEMA,
    CALENDAR_ROTATE_SCHEMA,
    CALENDAR_SCHEMA,
    TODAY_SCHEMA,
)
from outcomes.api.permissions import IsPatient, signed_in_user
from outcomes.api.serializers import CalendarFeedSerializer, TodaySerializer
from outcomes.models import CalendarFeed
from outcomes.selectors.reminders import calendar_render, today_get
from outcomes.services.reminders import calendar_feed_rotate
from sessions.cache import patient_keys, patient_response

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rest_framework.request import Request


class ICalendarRenderer(renderers.BaseRenderer):
    """text/calendar for the feed; problem documents (errors) stay JSON."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


def _feed_url(request: Request, feed: CalendarFeed | None) -> str | None:
    if feed is None:
        return None
    path = reverse("api:outcomes-api:calendar-feed", kwargs={"token": feed.token})
    return request.build_absolute_uri(path)


@TODAY_SCHEMA
# A read: outside ATOMIC_REQUESTS (a cached answer opens no transaction).
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class TodayView(APIView):
    """What is scheduled, done and due today for the signed-in patient."""

    permission_classes = [IsAuthenticated, IsPatient]

    def get(self, request: Request) -> HttpResponseBase:
        # Cached per patient and local date (sessions/cache.py).
        return patient_response(
            request,
            lambda: Response(
                TodaySerializer(today_get(patient=signed_in_user(request))).data
            ),
            round_trip_found(request),
        )

    def round_trip_reads(self, request: Request) -> Sequence[str]:
        """The cache keys of the patient's own day, read with the throttles."""
        return patient_keys(request)


@CALENDAR_SCHEMA
class CalendarView(APIView):
    """The signed-in patient's calendar feed URL (null until created)."""

    permission_classes = [IsAuthenticated, IsPatient]

    def get(self, request: Request) -> Response:
        feed = CalendarFeed.objects.filter(patient=signed_in_user(request)).first()
        return Response(CalendarFeedSerializer({"url": _feed_url(request, feed)}).data)


@CALENDAR_ROTATE_SCHEMA
class CalendarRotateView(APIView):
    """Create the feed URL, or replace it (the old one stops working)."""

    permission_classes = [IsAuthenticated, IsPatient]

    def post(self, request: Request) -> Response:
        feed = calendar_feed_rotate(patient=signed_in_user(request))
        return Response(CalendarFeedSerializer({"url": _feed_url(request, feed)}).data)


@CALENDAR_FEED_SCHEMA
class CalendarFeedView(APIView):
    """The iCalendar feed itself: the secret in the URL is the credential."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    renderer_classes = [ICalendarRenderer]

    def get(self, request: Request, token: str) -> Response:
        feed = (
            CalendarFeed.objects.select_related("patient")
            .filter(token=token, patient__is_active=True)
            .first()
        )
        if feed is None:
            raise exceptions.NotFound
        response = Response(calendar_render(feed=feed), content_type="text/calendar")
        response["Cache-Control"] = "private, max-age=900"
        return response
