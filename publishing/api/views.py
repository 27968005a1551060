"""The authors' REST API: thin views that validate, call one service and render."""
from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import FIELD_ERRORS, ErrorSerializer
from config.input import TextFilter
from config.throttling import ScopedRateThrottle
from publishing.api.serializers import (
    ArticleInputSerializer,
    ArticleOutputSerializer,
    ArticlePatchSerializer,
    RevisionOutputSerializer,
    TimelineOutputSerializer,
)
from publishing.models import Article, ArticleStatus, Revision, TimelineEntry
from publishing.selectors import article_list_for, article_visible_to, author_of, timeline_for
from publishing.services import (
    NothingToSubmit,
    StaleUpdate,
    TransitionNotAllowed,
    article_create,
    article_delete,
    article_submit,
    article_update,
    article_withdraw,
)

# Documented so clients (and schemathesis) know every answer an operation can give.
READ_ERRORS = {401: ErrorSerializer, 404: ErrorSerializer}
WRITE_ERRORS = {**READ_ERRORS, 400: OpenApiResponse(FIELD_ERRORS, description="field errors: {field: [messages]}"),
                403: ErrorSerializer, 409: ErrorSerializer}


# Articles are JSON: a form cannot tell a blank `publish_at` from none, nor send `tags` as a list.
ARTICLE_PARSERS = [JSONParser]


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class DomainErrors:
    """Map what the services refuse to HTTP: a refused transition or a stale edit is a 409 that says why."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, TransitionNotAllowed):
            exc = Conflict(str(exc), code="transition_not_allowed")
        elif isinstance(exc, StaleUpdate):
            exc = Conflict(str(exc), code="stale_update")
        elif isinstance(exc, NothingToSubmit):
            exc = Conflict(str(exc), code="nothing_to_submit")
        return super().handle_exception(exc)


def _visible(request: Request, pk: str) -> Article:
    """404 for an article the user may not see, so other authors' ids do not leak."""
    article = article_visible_to(user=request.user, article_id=pk)
    if article is None:
        raise Http404("No Article matches the given query.")
    return article


def _owned(request: Request, pk: str) -> Article:
    """Only the author writes through the API; editors change articles in the admin."""
    article = _visible(request, pk)
    if article.author.user_id != request.user.pk:
        raise PermissionDenied("only the article's author can change it here; editors use the admin")
    return article


class ArticleFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ArticleStatus.choices)
    tag = TextFilter(method="filter_tag", help_text="Articles carrying this tag.")
    search = TextFilter(field_name="title", lookup_expr="icontains", help_text="Words in the title.")

    class Meta:
        model = Article
        fields = ["status", "tag", "search"]

    def filter_tag(self, queryset, name: str, value: str):
        return queryset.filter(tags__contains=[value])


@extend_schema(methods=["GET"], responses={200: ArticleOutputSerializer(many=True), 400: OpenApiResponse(
    FIELD_ERRORS, description="invalid filter or page"), **READ_ERRORS}, parameters=[OpenApiParameter(
    # Blank is no filter (django-filter skips empty values): the enum says so too.
    "status", str, enum=["", *ArticleStatus.values], description="Only articles in this state (blank: any).")])
class ArticleListCreateApi(DomainErrors, generics.ListAPIView):
    serializer_class = ArticleOutputSerializer
    parser_classes = ARTICLE_PARSERS
    filterset_class = ArticleFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Article.objects.none()
        return article_list_for(user=self.request.user)

    @extend_schema(request=ArticleInputSerializer, responses={201: ArticleOutputSerializer, **WRITE_ERRORS})
    def post(self, request: Request) -> Response:
        author = author_of(user=request.user)
        if author is None:
            raise PermissionDenied("only authors can write articles")
        data = ArticleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = article_create(author=author, **data.validated_data)
        return Response(ArticleOutputSerializer(article).data, status=status.HTTP_201_CREATED)


class ArticleDetailApi(DomainErrors, APIView):
    parser_classes = ARTICLE_PARSERS

    @extend_schema(responses={200: ArticleOutputSerializer, **READ_ERRORS})
    def get(self, request: Request, pk: str) -> Response:
        return Response(ArticleOutputSerializer(_visible(request, pk)).data)

    @extend_schema(request=ArticlePatchSerializer, responses={200: ArticleOutputSerializer, **WRITE_ERRORS})
    def patch(self, request: Request, pk: str) -> Response:
        article = _owned(request, pk)
        data = ArticlePatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        article = article_update(article=article, based_on=changes.pop("updated_at"), **changes)
        return Response(ArticleOutputSerializer(article).data)

    @extend_schema(responses={204: None, **WRITE_ERRORS})
    def delete(self, request: Request, pk: str) -> Response:
        article_delete(article=_owned(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ArticleSubmitApi(DomainErrors, APIView):
    throttle_classes = [*APIView.throttle_classes, ScopedRateThrottle]
    throttle_scope = "submissions"

    @extend_schema(request=None, responses={200: ArticleOutputSerializer, **WRITE_ERRORS, 409: OpenApiResponse(
        ErrorSerializer, description="Nothing to submit (the content is the live revision's), or the article's "
                                     "state refuses a submission (a revision is waiting for moderation); "
                                     "`detail` says which and what to do.")})
    def post(self, request: Request, pk: str) -> Response:
        return Response(ArticleOutputSerializer(article_submit(article=_owned(request, pk))).data)


class ArticleWithdrawApi(DomainErrors, APIView):
    @extend_schema(request=None, responses={200: ArticleOutputSerializer, **WRITE_ERRORS})
    def post(self, request: Request, pk: str) -> Response:
        return Response(ArticleOutputSerializer(article_withdraw(article=_owned(request, pk))).data)


@extend_schema(responses={200: RevisionOutputSerializer(many=True), **READ_ERRORS})
class ArticleRevisionsApi(generics.ListAPIView):
    serializer_class = RevisionOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Revision.objects.none()
        return _visible(self.request, self.kwargs["pk"]).revisions.select_related("article").order_by("-number")


@extend_schema(responses={200: TimelineOutputSerializer(many=True), **READ_ERRORS},
               description="What happened to the article and why, from every service: each event's payload cut "
                           "down to what its author may see (no moderators, scores or delivery internals).")
class ArticleTimelineApi(generics.ListAPIView):
    serializer_class = TimelineOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TimelineEntry.objects.none()
        return timeline_for(article=_visible(self.request, self.kwargs["pk"]))
