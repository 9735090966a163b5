"""Admin for the care side: patients, prescribed plans and session logs.

Clinicians (staff in the "Clinicians" group) see only the patients in their care
(users.selectors.patient_list), those patients' plans and session logs; admins see
everyone's. Anything outside that scope answers 404, as in the API. Every page showing
a patient's data records one access-log entry per patient shown (changelist rows, a
plan or session page, a plan's history), like the API's reads (base.PatientDataAdmin).

- Patients (patients.py): read-only, with last session, recent pain after sessions and
  adherence over the last 4 weeks (the rules of ``progress/``), and links to the
  patient's plans and sessions.
- Plans (plans.py): prescribing goes through sessions.services.plans.plan_prescribe (the
  routine's items are copied); adjustments (status, schedule, note, dosage of items)
  through plan_update, so the edit history records who changed what. An ended plan is
  final, so its page is read-only. Reverting from the history is disabled (it would
  bypass those rules).
- Session logs (logs.py): read-only for everyone, superusers included: they are the
  patient's words. Deleted sessions (tombstones) are not shown.

One module per model family; importing them here registers them.
"""

from sessions.admin import logs, patients, plans

__all__ = ["logs", "patients", "plans"]
