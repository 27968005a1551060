"""What the authors' API reads and writes; validation only, no business logic."""
from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from publishing.models import Article, ArticleStatus, Revision, TimelineEntry
from publishing.selectors import article_stands

MAX_TAGS = 20
TAG_MESSAGE = "Use letters, digits, '-' and spaces."


class ArticleInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=200_000, required=False, allow_blank=True, default="")
    tags = serializers.ListField(
        child=serializers.RegexField(r"^[\w -]+$", max_length=50, error_messages={"invalid": TAG_MESSAGE}),
        max_length=MAX_TAGS, required=False, default=list,
    )
    publish_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                           help_text="Publish not before this time once approved.")


class ArticlePatchSerializer(ArticleInputSerializer):
    updated_at = serializers.DateTimeField(
        help_text="The `updated_at` of the version this edit is based on; a newer stored one refuses the edit (409)."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, partial=True, **kwargs)

    def validate(self, attrs: dict) -> dict:
        if "updated_at" not in attrs:
            raise serializers.ValidationError({"updated_at": "Send the updated_at you last read, to protect other edits."})
        return attrs


class AuthorOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField(source="user.username")
    display_name = serializers.CharField()


class ArticleOutputSerializer(serializers.ModelSerializer):
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


class RevisionOutputSerializer(serializers.ModelSerializer):
    live = serializers.SerializerMethodField()

    class Meta:
        model = Revision
        fields = ["number", "title", "summary", "body", "tags", "submitted_at", "live"]

    def get_live(self, revision: Revision) -> bool:
        return revision.number == revision.article.live_revision


class TimelineOutputSerializer(serializers.ModelSerializer):
    service = serializers.CharField(source="source")

    class Meta:
        model = TimelineEntry
        fields = ["time", "service", "type", "revision", "summary", "event_id", "correlation_id", "causation_id", "data"]
