"""Adjacent pairs for phrases (search_pairs, its index) and the word indexes made whole, so filters can AND with them.

search_pairs reads the positions of the vector: sorted by position, each lexeme and the next one at position + 1
make a pair. Two lexemes can share a position (positions stop at 16383; a dictionary may give several lexemes for
one word), and then the neighbours of all but one are not seen: such a document gets the token SHARED, which every
pair query accepts, so it stays a candidate and its own vector decides.

Tokens are hashes (hashtext, the hash of PostgreSQL's hash indexes and partitions): any document's pairs then fit a
tsvector (lexemes stop at 2047 bytes, a vector at 1 MB), and a collision only makes a candidate that the vector
check drops. The index and the queries both hash here, so they agree; were hashtext ever to change in an upgrade,
REINDEX search_document_pairs.

COST: evaluating the function per row reads every candidate's vector, which the index exists to avoid; the planner
must never think that cheap.
"""
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations

import search_indexer.models

FUNCTIONS = r"""
CREATE FUNCTION search_pair_token(pair text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_hex(hashtext(pair));

CREATE FUNCTION search_pairs(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 100000
RETURN (
    SELECT array_to_tsvector(
        coalesce(array_agg(search_pair_token(lexeme || ' ' || next)) FILTER (WHERE next_position = position + 1), '{}')
        || CASE WHEN bool_or(next_position = position) THEN '{shared}'::text[] ELSE '{}' END)
    FROM (SELECT lexeme, position, lead(lexeme) OVER by_position AS next, lead(position) OVER by_position AS next_position
          FROM (SELECT lexeme, unnest(positions) AS position FROM unnest(vector)) AS occurrences
          WINDOW by_position AS (ORDER BY position)) AS neighbours
);

-- Every one of the pairs ("a b"), or a document whose positions are shared.
CREATE FUNCTION search_pairs_query(pairs text[]) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (
    SELECT ('(' || string_agg(quote_literal(search_pair_token(pair)), ' & ') || ') | ''shared''')::tsquery
    FROM unnest(pairs) AS pair
);
"""


class Migration(migrations.Migration):
    # CONCURRENTLY, outside a transaction: searches and the consumer go on while the indexes build (minutes at
    # 100,000 documents), and the new ones exist before the old ones go.
    atomic = False

    dependencies = [
        ('search_indexer', '0002_document_search_document_title_and_more'),
    ]

    operations = [
        migrations.RunSQL(FUNCTIONS, reverse_sql="DROP FUNCTION search_pairs_query(text[]); "
                                                 "DROP FUNCTION search_pairs(tsvector); DROP FUNCTION search_pair_token(text)"),
        *[AddIndexConcurrently(model_name='document', index=index) for index in (
            GinIndex(fields=['search_vector'], name='search_document_words'),
            GinIndex(search_indexer.models.TitleVector(), name='search_document_title_words'),
            GinIndex(fields=['head_vector'], name='search_document_head_words'),
            GinIndex(search_indexer.models.PairVector(), name='search_document_pairs'),
        )],
        *[RemoveIndexConcurrently(model_name='document', name=name)
          for name in ('search_document_vector', 'search_document_title', 'search_document_head')],
    ]
