"""Domain events of the outcomes app, sent by its services inside the creating transaction.

Apps above this one (integrations: FHIR Flags, webhooks) subscribe in their
``AppConfig.ready``; a receiver may write an outbox row in the same transaction (the
event commits or rolls back with the change) or queue work with
``transaction.on_commit``. A receiver that raises aborts the write.
"""

from __future__ import annotations

from django.dispatch import Signal

# An alert was raised (never sent again for the same cause: a retried upload or a rerun
# rule finds the stored alert). sender=Alert; keyword arguments: alert.
alert_created = Signal()

# A patient answered a questionnaire (not sent for an idempotent retry).
# sender=QuestionnaireResponse; keyword arguments: response.
questionnaire_response_created = Signal()
