"""One scrape of the web sees every process: a relay and a consumer count, gunicorn's /metrics adds them up.

All three are real OS processes sharing one PROMETHEUS_MULTIPROC_DIR, as bin/supervise.py runs a
service's processes; gunicorn starts from the repository root, so it reads gunicorn.conf.py's hooks.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config.eventbus.tests.conftest import ROOT, publish_submitted, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def metrics_folder(process_env: dict[str, str], tmp_path: Path) -> Path:
    folder = tmp_path / "metrics"
    folder.mkdir()
    process_env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


@pytest.fixture
def web(process_env: dict[str, str], metrics_folder: Path, tmp_path: Path) -> Iterator[str]:
    """The probe service's web under gunicorn with two workers, as the Procfile runs each service's."""
    port = free_port()
    with (tmp_path / "web.log").open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "django.core.wsgi:get_wsgi_application()",
             "-b", f"127.0.0.1:{port}", "--workers", "2"],
            cwd=ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(20)


def scrape(url: str) -> dict[tuple, float]:
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return {}  # not listening yet
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_the_webs_metrics_add_up_what_the_relay_and_the_consumer_counted(start, channel, web, metrics_folder) -> None:
    publish_submitted()
    publish_submitted()
    start("relay")
    start("consume")

    published = ("eventbus_events_published_total", (("type", "article.submitted"),))
    applied = ("eventbus_events_handled_total", (("outcome", "applied"), ("type", "article.submitted")))
    wait_for(lambda: (s := scrape(web)).get(published) == 2 and s.get(applied) == 2,
             what="the relay's and the consumer's counts in the web's /metrics")
    writers = {path.stem.rsplit("-", 1)[-1] for path in metrics_folder.glob("*.db")}
    assert len(writers) >= 2, f"samples of the relay and the consumer, each in files of its own: {writers}"
