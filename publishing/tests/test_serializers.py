"""Serializers copy their fields per instance (publishing.api.serializers.fields_copied): shallow for plain
fields, deep for fields holding fields; no instance sees another's binding or validators."""
from __future__ import annotations

import pytest

from publishing.api.serializers import ArticleInputSerializer, ArticleOutputSerializer, ArticlePatchSerializer


@pytest.mark.parametrize("serializer", [ArticleInputSerializer, ArticlePatchSerializer, ArticleOutputSerializer])
def test_each_instance_binds_fields_of_its_own(serializer) -> None:
    first, second = serializer(), serializer()
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other
        assert field.parent is first and other.parent is second
        assert field.field_name == other.field_name == name
        assert field.validators is not other.validators
        assert [type(v) for v in field.validators] == [type(v) for v in other.validators]


def test_a_nested_serializer_is_a_copy_with_fields_of_its_own() -> None:
    first, second = ArticleOutputSerializer(), ArticleOutputSerializer()
    author, other = first.fields["author"], second.fields["author"]
    assert author is not other and author.parent is first
    assert author.fields["username"] is not other.fields["username"]
    assert author.fields["username"].source_attrs == ["user", "username"]


def test_a_validator_added_to_one_instance_stays_there() -> None:
    first = ArticleInputSerializer()
    first.fields["title"].validators.append(lambda value: None)
    assert len(ArticleInputSerializer().fields["title"].validators) == len(first.fields["title"].validators) - 1


def test_two_instances_validate_independently() -> None:
    bad = ArticleInputSerializer(data={"title": "", "tags": ["no/slash"]})
    good = ArticleInputSerializer(data={"title": "A title", "tags": ["fine"]})
    assert not bad.is_valid()
    assert good.is_valid(), good.errors
    assert set(bad.errors) == {"title", "tags"}
    assert good.validated_data["title"] == "A title"
