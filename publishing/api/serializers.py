"""What the authors' API reads and writes; validation only, no business logic."""
from __future__ import annotations

import copy

from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.input import TextField
from publishing.author_timeline import author_data, author_summary
from publishing.models import Article, ArticleStatus, Revision, TimelineEntry
from publishing.selectors import article_stands

MAX_TAGS = 20
TAG_MESSAGE = "Use letters, digits, '-' and spaces (not at the ends)."
# Spaces only inside: a tag is taken as sent (no trimming), so the schema's maxLength is the whole truth.
TAG = r"^[\w-](?:[\w -]*[\w-])?$"


def _tags(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=TextField(max_length=50, trim_whitespace=False, clean=False,
                        validators=[RegexValidator(TAG, message=TAG_MESSAGE)]),
        max_length=MAX_TAGS, required=False, **kwargs,
    )


HOLDERS = (serializers.BaseSerializer, serializers.ListField, serializers.DictField, serializers.HStoreField)


def fields_copied(fields: dict[str, serializers.Field]) -> dict[str, serializers.Field]:
    """A serializer's own copy of `fields`. DRF deep-copies every field (building it again from its
    arguments); a plain field is copied shallow, which is enough for what binding sets on it (name,
    parent, source, label), and only fields holding fields (a nested serializer, a list) are copied deep.
    The validators are the same objects, as after DRF's deep copy, in a list of the copy's own."""
    return {name: copy.deepcopy(field) if isinstance(field, HOLDERS) else _shallow(field)
            for name, field in fields.items()}


def _shallow(field: serializers.Field) -> serializers.Field:
    copied = copy.copy(field)
    if "_validators" in field.__dict__:
        copied._validators = list(field._validators)
    return copied


class FieldsCopiedShallow(serializers.Serializer):
    """A serializer of declared fields that copies them as `fields_copied` does, for every instance."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return fields_copied(self._declared_fields)


class FieldsBuiltOnce(serializers.ModelSerializer):
    """A ModelSerializer reads its model to build its fields on every instance (a millisecond a request):
    here once per class, then copied for each instance (`fields_copied`). For output only."""

    def get_fields(self) -> dict[str, serializers.Field]:
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built
        return fields_copied(built)


class ArticleInputSerializer(FieldsCopiedShallow):
    title = TextField(max_length=300)
    summary = TextField(max_length=1000, required=False, allow_blank=True, default="")
    body = TextField(max_length=200_000, required=False, allow_blank=True, default="")
    tags = _tags(default=list)
    publish_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                           help_text="Publish not before this time once approved.")


class ArticlePatchSerializer(FieldsCopiedShallow):
    """Only the fields sent change (so none has a default), and `updated_at` is always required.

    Not a partial ArticleInputSerializer: a partial serializer makes every field optional, and the
    schema would then say so of `updated_at` too.
    """

    title = TextField(max_length=300, required=False)
    summary = TextField(max_length=1000, required=False, allow_blank=True)
    body = TextField(max_length=200_000, required=False, allow_blank=True)
    tags = _tags()
    publish_at = serializers.DateTimeField(required=False, allow_null=True,
                                           help_text="Publish not before this time once approved.")
    updated_at = serializers.DateTimeField(
        help_text="The `updated_at` of the version this edit is based on; a newer stored one refuses the edit (409).",
        error_messages={"required": "Send the updated_at you last read, to protect other edits."},
    )


class AuthorOutputSerializer(FieldsCopiedShallow):
    id = serializers.UUIDField()
    username = serializers.CharField(source="user.username")
    display_name = serializers.CharField()


class ArticleOutputSerializer(FieldsBuiltOnce):
    author = AuthorOutputSerializer(read_only=True)
    status = serializers.ChoiceField(choices=ArticleStatus.choices)
    url = serializers.CharField(allow_null=True, read_only=True)
    reasons = serializers.ListField(child=serializers.DictField(), read_only=True,
                                    help_text="The last moderation decision's reasons: [{code, message}].")
    stands = serializers.SerializerMethodField(
        help_text='Where the article is and since when, e.g. "in review, queued 2 hours ago".'
    )

    class Meta:
        model = Article
        fields = [
            "id", "status", "revision", "live_revision", "title", "summary", "body", "tags", "publish_at",
            "published_at", "slug", "url", "reasons", "stands", "author", "created_at", "updated_at",
        ]

    def get_stands(self, article: Article) -> str:
        return article_stands(article=article, now=timezone.now())


class RevisionOutputSerializer(FieldsBuiltOnce):
    live = serializers.SerializerMethodField()

    class Meta:
        model = Revision
        fields = ["number", "title", "summary", "body", "tags", "submitted_at", "live"]

    def get_live(self, revision: Revision) -> bool:
        return revision.number == revision.article.live_revision


class TimelineOutputSerializer(FieldsBuiltOnce):
    """The author's view of an entry: only what publishing.author_timeline allows; editors see all in the admin."""

    service = serializers.CharField(source="source")
    summary = serializers.SerializerMethodField(help_text="What happened and why, in one line.")
    data = serializers.SerializerMethodField(
        help_text="The event's payload, cut down to what an author may see (allow-listed per event type).")

    class Meta:
        model = TimelineEntry
        fields = ["time", "service", "type", "revision", "summary", "data"]

    def get_summary(self, entry: TimelineEntry) -> str:
        return author_summary(entry)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_data(self, entry: TimelineEntry) -> dict:
        return author_data(entry)
