"""Library writes over the API (clinicians and admins): create and edit exercises and
routines, submit them for review, and review pending revisions of published content.

Thin views: parse, call one service (exercises.services.authoring, exercises.services,
exercises.revisions), render. Writes are throttled (scope ``library_writes``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.core.exceptions import PermissionDenied
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from config.api.auth import signed_in_user
from config.api.throttling import ScopedRateThrottle
from exercises.api import openapi
from exercises.api.permissions import IsLibraryWriter
from exercises.api.write_serializers import (
    ReviewNoteSerializer,
    RevisionSerializer,
)
from exercises.models import ContentRevision
from exercises.revisions import revision_approve, revision_reject
from exercises.selectors import revision_get, revision_with_diff, revisions_awaiting
from exercises.services import WorkflowError, content_submit

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.serializers import BaseSerializer

WRITE_ACTIONS = {"create", "partial_update", "submit"}
THROTTLE_SCOPE = "library_writes"


class WorkflowConflict(exceptions.APIException):
    status_code = 409
    default_detail = "The content is not in a state that allows this."
    default_code = "workflow_conflict"


@contextmanager
def refusals() -> Iterator[None]:
    """A service's PermissionDenied as a 403 with its message."""
    try:
        yield
    except PermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc


def _throttles(view: Any, scoped: bool) -> list[BaseThrottle]:
    # The stubs type the setting as dotted paths; DRF has imported the classes.
    classes = cast(
        "Sequence[type[BaseThrottle]]", api_settings.DEFAULT_THROTTLE_CLASSES
    )
    throttles = [throttle() for throttle in classes]
    if scoped:
        view.throttle_scope = THROTTLE_SCOPE
        throttles.append(ScopedRateThrottle())
    return throttles


class LibraryWriteMixin(viewsets.GenericViewSet[Any]):
    """``POST <list>/``, ``PATCH <list>/{id}/`` and ``POST <list>/{id}/submit/`` on the
    library viewsets; reads keep the viewset's own permissions and throttles."""

    write_serializer_class: ClassVar[type[BaseSerializer[Any]]]
    detail_serializer_class: ClassVar[type[BaseSerializer[Any]]]
    create_service: ClassVar[Callable[..., Any]]
    edit_service: ClassVar[Callable[..., Any]]

    def get_permissions(self) -> Sequence[Any]:
        if self.action in WRITE_ACTIONS:
            return [IsAuthenticated(), IsLibraryWriter()]
        return super().get_permissions()

    def get_throttles(self) -> list[BaseThrottle]:
        return _throttles(self, scoped=self.action in WRITE_ACTIONS)

    def _detail(self, content: Any, code: int = status.HTTP_200_OK) -> Response:
        # Read back through the detail selector: what a GET answers, prefetched.
        self.kwargs = {"pk": content.pk}
        serializer = self.detail_serializer_class(
            self.get_object(), context=self.get_serializer_context()
        )
        return Response(serializer.data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.write_serializer_class(data=request.data, creating=True)  # type: ignore[call-arg]
        serializer.is_valid(raise_exception=True)
        with refusals():
            content = type(self).create_service(
                author=signed_in_user(request), data=serializer.validated_data
            )
        return self._detail(content, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        content = self.get_object()
        serializer = self.write_serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals():
            result = type(self).edit_service(
                **{content._meta.model_name: content},
                user=signed_in_user(request),
                data=serializer.validated_data,
            )
        if isinstance(result, ContentRevision):
            data = RevisionSerializer(revision_with_diff(result)).data
            return Response(data, status=status.HTTP_202_ACCEPTED)
        return self._detail(result)

    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        content = self.get_object()
        try:
            content_submit(content=content, user=signed_in_user(request))
        except WorkflowError as exc:
            raise WorkflowConflict(str(exc)) from exc
        return self._detail(content)


@openapi.revision_schema
class RevisionViewSet(viewsets.GenericViewSet[Any]):
    """Pending revisions of published content: the review queue of a second clinician."""

    queryset = ContentRevision.objects.none()
    serializer_class = RevisionSerializer
    permission_classes = [IsAuthenticated, IsLibraryWriter]
    filter_backends: list[Any] = []

    def get_throttles(self) -> list[BaseThrottle]:
        return _throttles(self, scoped=self.request.method == "POST")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(revisions_awaiting(user=signed_in_user(request)))
        rows = [revision_with_diff(revision) for revision in page or []]
        return self.get_paginated_response(RevisionSerializer(rows, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(RevisionSerializer(self._revision(request, pk)).data)

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._review(request, pk, revision_approve)

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._review(request, pk, revision_reject)

    def _review(
        self, request: Request, pk: str | None, service: Callable[..., Any]
    ) -> Response:
        revision = self._revision(request, pk)
        serializer = ReviewNoteSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        with refusals():
            service(
                revision=revision,
                user=signed_in_user(request),
                note=serializer.validated_data.get("note", ""),
            )
        return Response(RevisionSerializer(self._revision(request, pk)).data)

    def _revision(self, request: Request, pk: str | None) -> ContentRevision:
        revision = revision_get(user=signed_in_user(request), revision_id=str(pk))
        if revision is None:
            raise exceptions.NotFound
        return revision
