"""Who may write: patients log sessions, clinicians and admins prescribe plans.

Reads are open to anyone signed in: the selectors scope them to the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from users.models import User

if TYPE_CHECKING:
    from rest_framework.request import Request

ONLY_PATIENTS_WRITE = (
    "Only patients log sessions; clinicians and admins can read their patients' logs."
)


def is_care_staff(user: Any) -> bool:
    """Clinicians and admins: the people who prescribe."""
    return isinstance(user, User) and (user.is_superuser or user.is_clinician)


class IsPrescriberForWrites(BasePermission):
    """Anyone signed in reads (the queryset is scoped); only clinicians and admins write.

    The object check runs after the scoped lookup, so a patient gets 404 for someone
    else's plan and 403 for their own.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS or view.action != "create":
            return True
        return is_care_staff(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return request.method in SAFE_METHODS or is_care_staff(request.user)


def _is_patient(user: Any) -> bool:
    return isinstance(user, User) and user.is_patient and not user.is_superuser


class IsPatientForWrites(BasePermission):
    """Reads for anyone signed in (scoped by the selectors); writes for patients only.

    Uploads (and any other write) are refused by role before anything is read. Edits
    and deletes are checked on the object after the scoped lookup, as for plans: a
    session the caller cannot see answers 404 whatever their role, and only one they
    can see but not change (a clinician's patient's, any for an admin) answers 403.
    """

    message = ONLY_PATIENTS_WRITE

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if getattr(view, "action", None) in {"partial_update", "destroy"}:
            return True  # has_object_permission decides, once the session is found
        return _is_patient(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return request.method in SAFE_METHODS or _is_patient(request.user)
