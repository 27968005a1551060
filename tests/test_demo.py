"""`make demo` against the four services as real OS processes: bin/demo.py tells its four stories through
the real HTTP APIs (and manage.py for the users it creates) and exits 0, and runs again on the same platform."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import BROKER_URL, ROOT, SERVICES

ENDINGS = [
    "== Story 1 ends: approved by a moderator, live at /articles/",
    "== Story 2 ends: approved by the rules, live at /articles/",
    "== Story 3 ends: rejected with reasons (spam_terms: ",
    "== Story 4 ends: taken down by a moderator: the article is unpublished and out of search.",
]


def _demo(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "bin/demo.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)


def test_make_demo_tells_the_four_stories_and_can_run_again(platform) -> None:
    urls = {name: service.run_all() for name, service in platform.items()}
    env = {
        **os.environ,
        "DEMO_PUBLISHING_URL": urls["publishing"], "DEMO_MODERATION_URL": urls["moderation"],
        "DEMO_NOTIFICATIONS_URL": urls["notifications"], "DEMO_SEARCH_URL": urls["search_indexer"],
        "DEMO_TIMEOUT": "120", "BROKER_URL": BROKER_URL,
        # What var/run.env gives `make demo`: each service's database, for the manage.py commands it runs.
        **{f"{name.upper()}_DATABASE_URL": service.env[f"{name.upper()}_DATABASE_URL"]
           for name, service in platform.items()},
    }
    first = _demo(env)
    print(first.stdout)  # what `make demo` shows, in the test's output
    assert first.returncode == 0, f"{first.stdout}\n{first.stderr}"
    for ending in ENDINGS:
        assert ending in first.stdout, first.stdout
    # Each story prints its steps as they happen, then the article's timeline.
    assert first.stdout.count("timeline of “") == 4
    assert "moderation.review_requested" in first.stdout and "search.removed" in first.stdout
    assert "found “Keeping basil alive on a windowsill" in first.stdout

    again = _demo(env)  # fresh users and a fresh search word: nothing of the first run is in the way
    assert again.returncode == 0, f"{again.stdout}\n{again.stderr}"
    assert all(ending in again.stdout for ending in ENDINGS), again.stdout


def test_the_demo_says_which_service_is_not_there() -> None:
    # Databases that do not exist: whatever the demo did past its check could not touch a real platform's.
    absent = {f"{name.upper()}_DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}_absent_for_demo_test"
              for name in SERVICES}
    env = {**os.environ, **absent, "DEMO_PUBLISHING_URL": "http://127.0.0.1:9", "DEMO_TIMEOUT": "1"}
    result = _demo(env)
    assert result.returncode == 1
    assert "publishing does not answer at http://127.0.0.1:9" in result.stderr
    assert "make run" in result.stderr
