"""Reads for reminders: the patient's day (scheduled, done, due) and their calendar feed.

The day and the feed read only the plans as they are now (``progress/`` reads their
history); times and dates are the patient's (their time zone).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from icalendar import Alarm, Calendar, Event, vRecur

from outcomes.models import CalendarFeed, QuestionnaireAssignment
from outcomes.selectors.proms import DueQuestionnaire, questionnaires_due
from sessions.models import Plan, Session
from users.models import User

__all__ = [
    "PlanToday",
    "Today",
    "calendar_render",
    "today_get",
]

ISO_DAYS = {1: "MO", 2: "TU", 3: "WE", 4: "TH", 5: "FR", 6: "SA", 7: "SU"}
PRODID = "-//Rehabit//Exercise plan//EN"


@dataclass(frozen=True)
class PlanToday:
    """One active plan on the patient's today."""

    plan: Plan
    scheduled_today: bool  # a days_of_week plan listing today
    times_per_week: int | None  # a flexible plan: sessions wanted this week
    done_today: int
    done_this_week: int

    @property
    def status(self) -> str:
        """done, due (scheduled or still short this week) or rest."""
        if self.scheduled_today:
            return "done" if self.done_today else "due"
        if self.times_per_week:
            return "done" if self.done_this_week >= self.times_per_week else "due"
        return "rest"


@dataclass(frozen=True)
class Today:
    date: dt.date
    timezone: str
    plans: list[PlanToday]
    sessions: list[Session]
    questionnaires: list[DueQuestionnaire]


def _local_today(
    patient: User, now: dt.datetime | None
) -> tuple[dt.date, zoneinfo.ZoneInfo]:
    zone = zoneinfo.ZoneInfo(patient.timezone)
    return (now or timezone.now()).astimezone(zone).date(), zone


def today_get(*, patient: User, now: dt.datetime | None = None) -> Today:
    """The patient's day in their time zone: active plans with what is scheduled and done,
    the sessions logged today, the questionnaires due (5 queries).
    """
    today, zone = _local_today(patient, now)
    monday = today - dt.timedelta(days=today.weekday())
    week_start = dt.datetime.combine(monday, dt.time(), zone)
    day_start = dt.datetime.combine(today, dt.time(), zone)
    day_end = day_start + dt.timedelta(days=1)
    plans = list(
        Plan.objects.filter(
            patient=patient, status=Plan.Status.ACTIVE, start_date__lte=today
        ).exclude(end_date__lt=today)
    )
    week = list(
        Session.objects.filter(
            patient=patient,
            deleted_at__isnull=True,
            started_at__gte=week_start,
            started_at__lt=day_end,
        ).order_by("started_at")
    )
    sessions_today = [s for s in week if s.started_at >= day_start]
    out = []
    for plan in plans:
        out.append(
            PlanToday(
                plan=plan,
                scheduled_today=today.isoweekday() in (plan.days_of_week or []),
                times_per_week=None if plan.days_of_week else plan.times_per_week,
                done_today=sum(1 for s in sessions_today if s.plan_id == plan.pk),
                done_this_week=sum(1 for s in week if s.plan_id == plan.pk),
            )
        )
    return Today(
        date=today,
        timezone=patient.timezone,
        plans=out,
        sessions=sessions_today,
        questionnaires=questionnaires_due(patient=patient, today=today),
    )


def _reminder_time() -> dt.time:
    hour, minute = (int(part) for part in settings.OUTCOMES_CALENDAR_TIME.split(":"))
    return dt.time(hour, minute)


def _alarm(text: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", dt.timedelta(0))
    return alarm


def _plan_event(plan: Plan, zone: zoneinfo.ZoneInfo, at: dt.time) -> Event | None:
    event = Event()
    event.add("uid", f"plan-{plan.pk}@rehabit")
    event.add("dtstamp", plan.updated_at)
    event.add("last-modified", plan.updated_at)
    start = plan.start_date
    rule: dict[str, object] = {"freq": "weekly"}
    if plan.days_of_week:
        rule["byday"] = [ISO_DAYS[day] for day in sorted(set(plan.days_of_week))]
        while start.isoweekday() not in plan.days_of_week:
            start += dt.timedelta(days=1)
        summary = f"Exercises: {plan.title}"
    elif plan.times_per_week:
        start -= dt.timedelta(days=start.weekday())  # the week's Monday
        summary = f"Exercises this week ({plan.times_per_week}x): {plan.title}"
    else:
        return None
    if plan.end_date is not None:
        if start > plan.end_date:
            return None
        last = dt.datetime.combine(plan.end_date, dt.time(23, 59, 59), zone)
        rule["until"] = last.astimezone(dt.UTC)
    event.add("summary", summary)
    event.add("dtstart", dt.datetime.combine(start, at, zone))
    event.add("duration", dt.timedelta(minutes=30))
    event.add("rrule", vRecur(rule))
    if plan.note:
        event.add("description", plan.note)
    event.add_component(_alarm(summary))
    return event


def _questionnaire_event(
    assignment: QuestionnaireAssignment, zone: zoneinfo.ZoneInfo, at: dt.time
) -> Event:
    event = Event()
    title = assignment.questionnaire.title
    event.add("uid", f"questionnaire-{assignment.pk}@rehabit")
    event.add("dtstamp", assignment.created_at)
    event.add("summary", f"Questionnaire: {title}")
    event.add("dtstart", dt.datetime.combine(assignment.start_date, at, zone))
    event.add("duration", dt.timedelta(minutes=10))
    if assignment.every_weeks:
        event.add(
            "rrule", vRecur({"freq": "weekly", "interval": assignment.every_weeks})
        )
    event.add_component(_alarm(f"Questionnaire: {title}"))
    return event


def calendar_render(*, feed: CalendarFeed) -> bytes:
    """The patient's plans and questionnaires as an RFC 5545 calendar (3 queries).

    Recurring events (RRULE) in the patient's time zone, with its VTIMEZONE: each
    active plan, and each questionnaire assigned on one.
    """
    patient = feed.patient
    zone = zoneinfo.ZoneInfo(patient.timezone)
    at = _reminder_time()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Rehabit")
    calendar.add("x-wr-timezone", patient.timezone)
    plans = Plan.objects.filter(patient=patient, status=Plan.Status.ACTIVE).order_by(
        "start_date", "pk"
    )
    for plan in plans:
        event = _plan_event(plan, zone, at)
        if event is not None:
            calendar.add_component(event)
    assignments = (
        QuestionnaireAssignment.objects.filter(
            plan__patient=patient, plan__status=Plan.Status.ACTIVE
        )
        .select_related("questionnaire")
        .order_by("start_date", "pk")
    )
    for assignment in assignments:
        calendar.add_component(_questionnaire_event(assignment, zone, at))
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical
