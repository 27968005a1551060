"""The search read model: documents (one per article and index generation) and the words for suggestions."""
from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Func, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

# One text-search configuration for indexing and querying: they must agree or stems will not match.
SEARCH_CONFIG = "english"


class GenerationStatus(models.TextChoices):
    BUILDING = "building"
    ACTIVE = "active"
    RETIRED = "retired"
    ABANDONED = "abandoned"


class Generation(models.Model):
    """One complete index. Searches read the active one; a rebuild fills a new one and then switches."""

    number = models.PositiveIntegerField(primary_key=True)
    rebuild_id = models.UUIDField(null=True, blank=True, unique=True, help_text="Sent in search.reindex_requested.")
    status = models.CharField(max_length=20, choices=GenerationStatus.choices)
    requested_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    snapshots_received = models.PositiveIntegerField(default=0)
    snapshots_expected = models.PositiveIntegerField(
        null=True, blank=True, help_text="From article.snapshot's rebuild_total, when publishing sends it."
    )
    last_snapshot_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="search_one_active_generation"),
            models.UniqueConstraint(fields=["status"], condition=Q(status="building"), name="search_one_building_generation"),
        ]

    def __str__(self) -> str:
        return f"generation {self.number} ({self.status})"


class TitleVector(Func):
    """The title's (weight A) lexemes of head_vector: indexed as an expression (search_document_title_words), no column."""

    function = "ts_filter"
    output_field = SearchVectorField()

    def __init__(self) -> None:
        super().__init__("head_vector", RawSQL("""'{a}'::"char"[]""", []))


class PairVector(Func):
    """The pairs of adjacent lexemes of search_vector (SQL function search_pairs, migration 0003): indexed, no column.

    A phrase is checked on positions, which GIN does not keep: without this, "a b" reads the vector of every
    document holding both words. Each pair is a hash (search_pair_token), so any document's pairs fit a tsvector.
    """

    function = "search_pairs"
    output_field = SearchVectorField()

    def __init__(self) -> None:
        super().__init__("search_vector")


class Document(models.Model):
    """An article as the index knows it; live=False is a tombstone that keeps late, older events out."""

    generation = models.PositiveIntegerField()
    article_id = models.UUIDField()
    revision = models.PositiveIntegerField()
    # Order of changes within one revision: published_at or unpublished_at of the event applied last.
    changed_at = models.DateTimeField()
    live = models.BooleanField(default=True)
    title = models.CharField(max_length=300, blank=True)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="Plain text made from the Markdown body.")
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    # Tags joined by spaces: the generated vector below needs an immutable expression, array_to_string is not.
    tags_text = models.TextField(blank=True)
    author_id = models.UUIDField(null=True, blank=True)
    author_username = models.CharField(max_length=150, blank=True)
    author_name = models.CharField(max_length=300, blank=True)
    slug = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField(default=timezone.now)
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", "tags_text", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    # Title and summary/tags only: small enough to stay in the table row, so telling the tiers of a match apart
    # (search_indexer.tiers) need not fetch the full vector from TOAST.
    head_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", "tags_text", weight="B", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["generation", "article_id"], name="search_document_one_per_generation"),
        ]
        indexes = [
            # Whole, not partial on live like the filters' indexes below: the planner never ANDs two bitmaps of
            # indexes with the same predicate, and a tag or date filter should meet the words in the indexes, not
            # by reading each candidate's vector. A tombstone's vector is empty, so it adds nothing to these.
            GinIndex(fields=["search_vector"], name="search_document_words"),
            # The ranking tiers (search_indexer.tiers): title matches, then summary/tag matches, then the rest.
            GinIndex(TitleVector(), name="search_document_title_words"),
            GinIndex(fields=["head_vector"], name="search_document_head_words"),
            GinIndex(PairVector(), name="search_document_pairs"),
            # Partial on live: tombstones never match, and the newest-first listing can count from the index alone.
            GinIndex(fields=["tags"], name="search_document_tags", condition=Q(live=True)),
            models.Index(fields=["generation", "-published_at"], name="search_document_recent", condition=Q(live=True)),
            models.Index(fields=["author_username"], name="search_document_author"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.article_id} (r{self.revision}, g{self.generation})"


class Term(models.Model):
    """A word seen in titles, summaries or tags: the vocabulary "did you mean" picks from."""

    word = models.CharField(max_length=64, primary_key=True)

    class Meta:
        indexes = [GinIndex(fields=["word"], name="search_term_trigram", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.word
