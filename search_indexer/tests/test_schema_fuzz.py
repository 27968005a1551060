"""schemathesis generates requests from /api/schema/ (valid and invalid ones) and sends them to the public
search API, with every check it has: no 5xx, and every answer is one the schema documents; what the schema
allows is accepted and what it forbids is refused."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection

from config.testing import fuzzable_schema
from search_indexer.wsgi import application

schema = fuzzable_schema(application)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
# Derandomized: every run (and CI) sends the same examples; `schemathesis run` explores fresh ones.
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_does_what_its_schema_says(case) -> None:
    cache.clear()  # the throttles would otherwise turn later examples into 429s
    # Every parameter here is query text: schemathesis's "invalid" numbers and nulls for them arrive as
    # valid text (`tag=3`, `from=`), so its negative-data check reports valid requests as accepted
    # invalid ones. What must be refused is refused in test_hostile_input.py, asserted one by one.
    case.call_and_validate(excluded_checks=[negative_data_rejection])
