"""Domain events of the sessions app, sent by its services inside the write's transaction.

Apps above this one (outcomes, integrations) subscribe in their ``AppConfig.ready`` to
react without this app knowing them: a receiver may write in the same transaction (an
outbox row, so the event commits or rolls back with the change) or queue work for after
the commit with ``transaction.on_commit``. A receiver that raises aborts the write.
"""

from __future__ import annotations

from django.dispatch import Signal

# A session was stored (an upload, not its retry), edited or turned into a tombstone.
# sender=Session; keyword arguments: session, action ("created" | "updated" | "deleted").
session_changed = Signal()

# A plan was prescribed or adjusted (schedule, status or items).
# sender=Plan; keyword arguments: plan, action ("created" | "updated").
plan_changed = Signal()

# A patient account is about to be erased (``sessions.services.privacy.patient_erase``),
# before anything is deleted, inside the erasure's transaction. Receivers erase or
# scrub what their app keeps that names the patient and is not deleted by the cascade
# from the user row (e.g. an outbox body carrying the id).
# sender=User; keyword arguments: patient (the User), plan_ids, session_ids (strings).
patient_erasing = Signal()

# Sent by patient_erase after every deletion (the cascades' signals included), in the
# same transaction: what must go last (sessions/cache.py forgets the patient's cached
# answers, which those deletions made stale and so wrote their token again).
# sender=User; keyword argument: patient_id.
patient_erased = Signal()
