"""The readers' search API: anonymous, throttled, one view."""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.input import TextField
from search_indexer.selectors import document_search


@extend_schema_field({"oneOf": [{"type": "string", "format": "date"}, {"type": "string", "enum": [""]}]})
class DayField(serializers.DateField):
    """A day (YYYY-MM-DD), or blank for none: the search page's form sends its empty date fields."""


class SearchInputSerializer(serializers.Serializer):
    q = TextField(required=False, allow_blank=True, max_length=500, default="",
                  help_text='Web search syntax: words, "a phrase", or, -word.')
    tag = serializers.ListField(child=TextField(max_length=50), required=False, default=list, max_length=20,
                                help_text="Only articles with this tag (repeat for all of several).")
    author = TextField(required=False, allow_blank=True, default="", max_length=150,
                       help_text="An author's username or id.")
    page = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=1)

    def get_fields(self) -> dict:
        # `from` and `to` are Python keywords, so they cannot be declared as attributes.
        fields = super().get_fields()
        fields["from"] = DayField(required=False, allow_null=True, default=None,
                                               help_text="Published on or after this day (YYYY-MM-DD).")
        fields["to"] = DayField(required=False, allow_null=True, default=None,
                                             help_text="Published on or before this day (YYYY-MM-DD).")
        return fields


def search_arguments(validated: dict) -> dict:
    """The selector's keyword arguments from validated input (shared by the API and the page)."""
    return {"q": validated["q"], "tags": validated["tag"], "author": validated["author"],
            "date_from": validated["from"], "date_to": validated["to"], "page": validated["page"],
            "page_size": settings.SEARCH_PAGE_SIZE}


class AuthorOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(allow_null=True)
    username = serializers.CharField()
    display_name = serializers.CharField()


class HitOutputSerializer(serializers.Serializer):
    article_id = serializers.UUIDField()
    title = serializers.CharField()
    url = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML: escaped text with the matched words in <mark>.")
    rank = serializers.FloatField()
    tags = serializers.ListField(child=serializers.CharField())
    author = AuthorOutputSerializer()
    published_at = serializers.DateTimeField()


class SearchOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Matching articles, counted up to a cap (see count_capped).")
    count_capped = serializers.BooleanField(help_text='Counting stopped at the cap: at least `count` match ("1000+").')
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = HitOutputSerializer(many=True)
    suggestion = serializers.CharField(allow_null=True, help_text='"Did you mean": set when nothing matched.')


class SearchApi(APIView):
    authentication_classes: list = []  # public: no session, so no CSRF and no per-user state
    permission_classes = [AllowAny]

    @extend_schema(parameters=[SearchInputSerializer], responses=SearchOutputSerializer, operation_id="search")
    def get(self, request: Request) -> Response:
        data = SearchInputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        return Response(SearchOutputSerializer(document_search(**search_arguments(data.validated_data))).data)
