"""bin/supervise.py gives each service's processes one metrics folder, emptied before they start.

No Django: run with `python -m pytest -p no:django tests/test_metrics_supervision.py`.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from supervisor.options import ServerOptions

from config.testing import wait_for

ROOT = Path(__file__).resolve().parent.parent
SUPERVISE = ROOT / "bin" / "supervise.py"

CHILD = """\
import json, os, sys
folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
json.dump({"folder": folder, "files": sorted(os.listdir(folder))}, open(sys.argv[1], "w"))
import time; time.sleep(600)
"""


def test_every_process_of_a_service_gets_the_services_metrics_folder(tmp_path: Path) -> None:
    var = tmp_path / "var"
    result = subprocess.run([sys.executable, str(SUPERVISE), "--write-only", "--var", str(var)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    options = ServerOptions()
    options.configfile = result.stdout.strip()
    options.process_config(do_usage=False)
    for group in options.process_group_configs:
        service = group.name.rpartition("-")[0]
        for process in group.process_configs:
            assert process.environment["PROMETHEUS_MULTIPROC_DIR"] == str(var / "metrics" / service), process.name


def test_the_metrics_folders_are_emptied_before_the_processes_start(tmp_path: Path) -> None:
    (tmp_path / "child.py").write_text(CHILD)
    seen = tmp_path / "seen.json"
    procfile = tmp_path / "Procfile"
    procfile.write_text(f"tiny-web: {sys.executable} child.py {seen}\n")
    var = tmp_path / "var"
    stale = var / "metrics" / "tiny" / "counter_gone-123.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"from a process of the last run")
    supervisord = subprocess.Popen([sys.executable, str(SUPERVISE), "--procfile", str(procfile), "--var", str(var)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    try:
        wait_for(lambda: seen.exists() and seen.read_text(), what="the child's view of its metrics folder")
    finally:
        supervisord.send_signal(signal.SIGTERM)
        supervisord.wait(40)
    assert json.loads(seen.read_text()) == {"folder": str(var / "metrics" / "tiny"), "files": []}
