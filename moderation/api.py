"""The review queue's JSON API: thin views that validate, call one service and render."""
from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ErrorSerializer
from config.input import TextField, UUIDField
from moderation.models import Case
from moderation.rules import Finding, reasons_of
from moderation.selectors import is_moderator, queue_list, reason_codes_active
from moderation.services import (
    ClaimHeld,
    ModerationError,
    case_approve,
    case_claim,
    case_reject,
    case_release,
    cases_bulk_approve,
    takedown_request,
)


class IsModerator(BasePermission):
    message = "only moderators may use the review queue"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_moderator(request.user)


class CaseTakedownSerializer(serializers.Serializer):
    """The takedown on record that sent this revision to a human (Case.takedown)."""

    revision = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    at = serializers.DateTimeField()
    by = serializers.CharField()


class CaseOutputSerializer(serializers.ModelSerializer):
    reasons = serializers.SerializerMethodField()
    claimed_by = serializers.SerializerMethodField()
    takedown = CaseTakedownSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = ["id", "article_id", "revision", "title", "score", "reasons", "claimed_by", "claim_expires_at",
                  "queued_at", "status", "author", "takedown"]

    def get_reasons(self, case: Case) -> list[dict]:
        return reasons_of(Finding.from_dict(f) for f in case.findings)

    def get_claimed_by(self, case: Case) -> str | None:
        if case.claimed_by_id and case.claim_expires_at and case.claim_expires_at > timezone.now():
            return case.claimed_by.get_username()
        return None


def _decide(action: Callable[[], Case]) -> Response:
    """Run one service call and map domain errors: 409 for a conflict, 400/404 as the error says."""
    try:
        case = action()
    except ClaimHeld as exc:
        return Response({"detail": str(exc), "claimed_by": exc.holder}, status=exc.status)
    except ModerationError as exc:
        return Response({"detail": str(exc)}, status=exc.status)
    return Response(CaseOutputSerializer(case).data)


class ClaimHeldSerializer(ErrorSerializer):
    claimed_by = serializers.CharField(required=False, help_text="Who holds the claim, when that is the conflict.")


# What deciding on a case answers besides the case; 400/401/403/404/429 are documented by config.api.AutoSchema.
DECIDED = {200: CaseOutputSerializer, 409: OpenApiResponse(
    ClaimHeldSerializer, description="Claimed by another moderator, or no longer in the queue")}


# Bodies with a list are JSON: a form cannot tell an empty list from none, nor keep to the list's size limits.
LIST_BODY_PARSERS = [JSONParser]


class ModeratorApi(APIView):
    permission_classes = [IsModerator]


class QueueFilterSerializer(serializers.Serializer):
    q = TextField(required=False, allow_blank=True, default="", max_length=300,
                  help_text="Words in the title, the author's name or the article id.")
    rule = TextField(required=False, allow_blank=True, default="", max_length=100,
                     help_text="Only cases this rule flagged.")
    claimed = serializers.ChoiceField(choices=["mine", "unclaimed"], required=False, allow_blank=True, default="")
    over_sla = serializers.BooleanField(required=False, default=False, help_text="Only cases queued past the SLA.")


@extend_schema(parameters=[QueueFilterSerializer])
class QueueListApi(generics.ListAPIView):
    permission_classes = [IsModerator]
    serializer_class = CaseOutputSerializer

    def get_queryset(self):
        filters = QueueFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return queue_list(**filters.validated_data, user=self.request.user)


class CaseClaimApi(ModeratorApi):
    @extend_schema(request=None, responses=DECIDED)
    def post(self, request: Request, pk: str) -> Response:
        return _decide(lambda: case_claim(case_id=pk, user=request.user))


class CaseReleaseApi(ModeratorApi):
    @extend_schema(request=None, responses=DECIDED)
    def post(self, request: Request, pk: str) -> Response:
        return _decide(lambda: case_release(case_id=pk, user=request.user))


class CaseApproveApi(ModeratorApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ApproveInput"  # one schema component per nested InputSerializer

        note = TextField(required=False, allow_blank=True, default="", max_length=2000)

    @extend_schema(request=InputSerializer, responses=DECIDED)
    def post(self, request: Request, pk: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _decide(lambda: case_approve(case_id=pk, user=request.user, **data.validated_data))


class CaseRejectApi(ModeratorApi):
    parser_classes = LIST_BODY_PARSERS

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RejectInput"  # one schema component per nested InputSerializer

        reasons = serializers.ListField(child=serializers.SlugField(max_length=60), min_length=1, max_length=50)
        note = TextField(required=False, allow_blank=True, default="", max_length=2000)

    @extend_schema(request=InputSerializer, responses=DECIDED)
    def post(self, request: Request, pk: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _decide(lambda: case_reject(case_id=pk, user=request.user, **data.validated_data))


class BulkApproveApi(ModeratorApi):
    parser_classes = LIST_BODY_PARSERS

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BulkApproveInput"  # one schema component per nested InputSerializer

        ids = serializers.ListField(child=UUIDField(), min_length=1, max_length=200)
        note = TextField(required=False, allow_blank=True, default="", max_length=2000)

    @extend_schema(request=InputSerializer, operation_id="queue_bulk_approve", responses=inline_serializer(
        "BulkApproveOutput", {"approved": serializers.ListField(child=serializers.UUIDField()),
                              "skipped": serializers.DictField(child=serializers.CharField())}))
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = cases_bulk_approve(case_ids=data.validated_data["ids"], user=request.user,
                                    note=data.validated_data["note"])
        return Response({"approved": result.approved, "skipped": result.skipped})


class ReasonCodeListApi(ModeratorApi):
    @extend_schema(responses=inline_serializer(
        "ReasonCode", {"code": serializers.CharField(), "message": serializers.CharField()}, many=True))
    def get(self, request: Request) -> Response:
        return Response([{"code": r.code, "message": r.message} for r in reason_codes_active()])


class TakedownApi(ModeratorApi):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TakedownInput"  # one schema component per nested InputSerializer

        article_id = UUIDField()
        reason = serializers.SlugField(max_length=60)
        note = TextField(required=False, allow_blank=True, default="", max_length=2000)

    @extend_schema(request=InputSerializer, responses={202: inline_serializer("TakedownOutput", {
        "article_id": serializers.UUIDField(), "revision": serializers.IntegerField(),
        "takedown_requested_at": serializers.DateTimeField()}),
        404: OpenApiResponse(ErrorSerializer, description="Moderation knows no live article of that id"),
        409: OpenApiResponse(ErrorSerializer, description="A takedown was requested already")})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            row = takedown_request(user=request.user, **data.validated_data)
        except ModerationError as exc:
            return Response({"detail": str(exc)}, status=exc.status)
        return Response({"article_id": str(row.article_id), "revision": row.revision,
                         "takedown_requested_at": row.takedown_requested_at}, status=status.HTTP_202_ACCEPTED)
