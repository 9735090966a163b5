"""Admin for the clinician-curated library: taxonomies, exercises and routine templates.

Clinicians (staff in the "Clinicians" group) curate here and see every status; only
published content is public (the API scopes that). The status changes only through the
workflow services (exercises.services.TRANSITIONS), from the changelist actions or the
buttons on the change form (workflow.py). django-simple-history records every edit with
its user; the history page lists what changed in each record (common.admin.HistoryAdmin).

One module per model family; importing them here registers them.
"""

from exercises.admin import exercises, revisions, routines, taxonomies, workflow

__all__ = ["exercises", "revisions", "routines", "taxonomies", "workflow"]
