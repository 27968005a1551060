"""`make run`'s supervision (bin/supervise.py + supervisord), with real processes.

A small Procfile of harmless Python loops is run under a real supervisord started the way `make run`
starts it: a killed child is restarted while the others keep running, a crashing one is retried with
growing delays, SCALE replicates consumers and relays, every line reaches supervisord's stdout
and can be told apart by its process name, and SIGINT / SIGTERM stop everything. The real Procfile's
config is checked with supervisor's own config loader.

No Django: run with `python -m pytest -p no:django tests/test_supervision.py`.
"""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from supervisor.datatypes import RestartUnconditionally
from supervisor.options import ServerOptions

from config.testing import wait_for

ROOT = Path(__file__).resolve().parent.parent
SUPERVISE = ROOT / "bin" / "supervise.py"
PROCFILE = ROOT / "Procfile"

CHILD = """\
import os, sys, time
name = os.environ["PROCESS_NAME"]
sys.stdout.write(f"hello from {name} pid={os.getpid()} greeting={os.environ.get('GREETING', '-')}\\n")
sys.stderr.write(f"{name} says this on stderr\\n")
n = 0
while True:
    sys.stdout.write(f"{name} tick {n}\\n")
    n += 1
    time.sleep(0.5)
"""
CRASHER = """\
import os, sys
sys.stdout.write(f"{os.environ['PROCESS_NAME']} crashing pid={os.getpid()}\\n")
sys.exit(3)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too (nobody reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


class Supervised:
    """bin/supervise.py started for real (it execs supervisord -n); its stdout collected line by line."""

    def __init__(self, tmp: Path, procfile: str, scale: int | None = None) -> None:
        self.dir = tmp
        (tmp / "child.py").write_text(CHILD)
        (tmp / "crasher.py").write_text(CRASHER)
        (tmp / "Procfile").write_text(procfile)
        self.var = tmp / "var"
        self.conf = self.var / "supervisord.conf"
        env = {k: v for k, v in os.environ.items() if k != "SCALE"}
        if scale is not None:
            env["SCALE"] = str(scale)
        self.process = subprocess.Popen(
            [sys.executable, str(SUPERVISE), "--procfile", str(tmp / "Procfile"), "--var", str(self.var),
             "--startsecs", "1"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def output(self) -> list[str]:
        with self._lock:
            return list(self.lines)

    def ctl(self, *args: str) -> str:
        beside = Path(sys.executable).with_name("supervisorctl")
        argv = [str(beside)] if beside.exists() else [sys.executable, "-m", "supervisor.supervisorctl"]
        # status exits non-zero while a process is not RUNNING; the output is what counts here.
        result = subprocess.run([*argv, "-c", str(self.conf), *args], capture_output=True, text=True, timeout=30)
        return result.stdout + result.stderr

    def status(self) -> dict[str, tuple[str, int | None]]:
        """{process name: (state, pid)} as supervisorctl shows it."""
        states = {}
        for line in self.ctl("status").splitlines():
            match = re.match(r"^(\S+)\s+([A-Z]+)\s*(?:pid (\d+))?", line)
            if match and match[2] in ("RUNNING", "STARTING", "BACKOFF", "STOPPED", "EXITED", "FATAL", "STOPPING"):
                states[match[1].split(":")[-1]] = (match[2], int(match[3]) if match[3] else None)
        return states

    def wait_running(self, names: set[str], timeout: float = 30) -> dict[str, int]:
        def running():
            states = self.status()
            if all(states.get(name, ("", None))[0] == "RUNNING" for name in names):
                return {name: states[name][1] for name in names}
            return None
        return wait_for(running, timeout=timeout, what=f"{sorted(names)} RUNNING; output:\n" + "\n".join(self.output()))

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(40)
        finally:
            self._reader.join(5)

    def kill(self) -> None:
        """Last resort for a test that failed half-way: no child must outlive it."""
        if self.process.poll() is None:
            self.stop(signal.SIGTERM)


def python(script: str) -> str:
    return f"{shlex.quote(sys.executable)} {script}"


def small_procfile(*extra: str) -> str:
    return "\n".join([
        "# harmless processes shaped like the real ones",
        f"tiny-web: GREETING='hi there' {python('child.py')}",
        f"tiny-consumer: {python('child.py')}",
        f"tiny-relay: {python('child.py')}",
        f"tiny-worker: {python('child.py')}",
        *extra,
    ]) + "\n"


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Callable[..., Supervised]]:
    started: list[Supervised] = []

    def start(procfile: str | None = None, scale: int | None = None) -> Supervised:
        run = Supervised(tmp_path, procfile or small_procfile(), scale)
        started.append(run)
        return run

    yield start
    for run in started:
        run.kill()


SINGLE = {"tiny-web", "tiny-worker"}
REPLICATED = {"tiny-consumer", "tiny-relay"}


def test_a_killed_process_is_restarted_while_the_others_keep_running(supervised) -> None:
    run = supervised()
    names = {"tiny-web", "tiny-consumer-1", "tiny-relay-1", "tiny-worker"}
    pids = run.wait_running(names)

    os.kill(pids["tiny-consumer-1"], signal.SIGKILL)

    def restarted():
        state, pid = run.status().get("tiny-consumer-1", ("", None))
        return pid if state in ("STARTING", "RUNNING") and pid != pids["tiny-consumer-1"] else None
    new_pid = wait_for(restarted, timeout=15, what="tiny-consumer-1 restarted")
    assert alive(new_pid) and not alive(pids["tiny-consumer-1"])
    after = run.wait_running(names)
    assert after["tiny-consumer-1"] == new_pid
    assert {n: p for n, p in after.items() if n != "tiny-consumer-1"} == \
           {n: p for n, p in pids.items() if n != "tiny-consumer-1"}, "the others were restarted too"
    wait_for(lambda: any(f"hello from tiny-consumer-1 pid={new_pid}" in line for line in run.output()),
             timeout=10, what="the new tiny-consumer-1 in the log")
    assert any("exited: tiny-consumer-1 (terminated by SIGKILL" in line for line in run.output())
    assert run.stop() == 0


def test_a_crashing_process_is_retried_with_growing_delays_and_the_others_keep_running(supervised) -> None:
    run = supervised(small_procfile(f"tiny-crasher: {python('crasher.py')}"))
    pids = run.wait_running({"tiny-web", "tiny-consumer-1", "tiny-relay-1", "tiny-worker"})

    def spawn_times() -> list[datetime]:
        return [datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f") for line in run.output()
                if "spawned: 'tiny-crasher'" in line]
    def four_starts() -> list[datetime] | None:
        times = spawn_times()
        return times if len(times) >= 4 else None
    spawns = wait_for(four_starts, timeout=30, what="four starts of tiny-crasher")
    gaps = [(b - a).total_seconds() for a, b in zip(spawns, spawns[1:], strict=False)][:3]
    # supervisord waits 1 s, 2 s, 3 s, ... (plus the crasher's own short life) before each new try.
    assert gaps[0] < gaps[1] < gaps[2], gaps
    assert gaps[2] >= 2.5, gaps
    assert run.status()["tiny-crasher"][0] in ("BACKOFF", "STARTING")
    assert any("tiny-crasher crashing" in line for line in run.output())
    assert {n: p for n, p in run.status().items() if n in pids} == {n: ("RUNNING", p) for n, p in pids.items()}
    assert run.stop() == 0


def test_scale_replicates_consumers_and_relays_only(supervised) -> None:
    run = supervised(scale=2)
    expected = {"tiny-web", "tiny-worker", "tiny-consumer-1", "tiny-consumer-2", "tiny-relay-1", "tiny-relay-2"}
    pids = run.wait_running(expected)
    assert set(run.status()) == expected
    assert len(set(pids.values())) == len(expected)
    # Operators address the replicas of one program together.
    restarted = run.ctl("restart", "tiny-consumer:*")
    assert "tiny-consumer:tiny-consumer-1: started" in restarted and "tiny-consumer:tiny-consumer-2: started" in restarted
    after = run.wait_running(expected)
    assert after["tiny-consumer-1"] != pids["tiny-consumer-1"] and after["tiny-consumer-2"] != pids["tiny-consumer-2"]
    assert after["tiny-web"] == pids["tiny-web"] and after["tiny-relay-1"] == pids["tiny-relay-1"]
    assert run.stop() == 0


def test_default_scale_is_one(supervised) -> None:
    run = supervised()
    run.wait_running({"tiny-web", "tiny-worker", "tiny-consumer-1", "tiny-relay-1"})
    assert set(run.status()) == {"tiny-web", "tiny-worker", "tiny-consumer-1", "tiny-relay-1"}
    assert run.stop() == 0


def test_every_line_reaches_supervisords_stdout_with_the_process_name(supervised) -> None:
    run = supervised(scale=2)
    names = {"tiny-web", "tiny-worker", "tiny-consumer-1", "tiny-consumer-2", "tiny-relay-1", "tiny-relay-2"}
    pids = run.wait_running(names)

    def seen_everything():
        out = run.output()
        return all(any(f"hello from {n} pid={pids[n]}" in line for line in out)
                   and any(f"{n} says this on stderr" in line for line in out)
                   and any(f"{n} tick 1" in line for line in out) for n in names)
    wait_for(seen_everything, timeout=15, what="every process's lines; output:\n" + "\n".join(run.output()))
    out = run.output()
    assert any("hello from tiny-web" in line and "greeting=hi there" in line for line in out), \
        "the Procfile's own environment reaches the process"
    # supervisord's own log is in the same stream.
    assert any("INFO spawned: 'tiny-relay-2'" in line for line in out)
    assert any("supervisord started with pid" in line for line in out)
    assert not any("CRIT" in line for line in out), [line for line in out if "CRIT" in line]
    assert run.stop() == 0
    # ...and only once (supervisord in the foreground would also copy its log to stdout).
    assert sum("supervisord started with pid" in line for line in run.output()) == 1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_supervisord_stops_every_process(supervised, sig: signal.Signals) -> None:
    run = supervised(scale=2)
    pids = run.wait_running({"tiny-web", "tiny-worker", "tiny-consumer-1", "tiny-consumer-2",
                             "tiny-relay-1", "tiny-relay-2"})
    assert all(alive(pid) for pid in pids.values())

    assert run.stop(sig) == 0
    still = {name: pid for name, pid in pids.items() if alive(pid)}
    assert not still, f"still running after supervisord exited: {still}"
    out = run.output()
    assert all(any(f"stopped: {name} (terminated by SIGTERM)" in line for line in out) for name in pids), out
    assert not (run.var / "supervisord.pid").exists()


def test_a_second_start_on_the_same_folder_is_refused_without_touching_the_running_one(supervised, tmp_path) -> None:
    run = supervised()
    run.wait_running({"tiny-web"})
    before = run.conf.read_text()
    second = subprocess.run([sys.executable, str(SUPERVISE), "--procfile", str(tmp_path / "Procfile"),
                             "--var", str(run.var), "--write-only"], capture_output=True, text=True, timeout=30)
    assert second.returncode != 0 and "already runs" in second.stderr
    assert run.conf.read_text() == before
    assert run.status()["tiny-web"][0] == "RUNNING", "supervisorctl still works against the running one"
    assert run.stop() == 0


# --- the real Procfile -------------------------------------------------------------------------


def procfile_names() -> list[str]:
    return [line.split(":", 1)[0] for line in PROCFILE.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def load(conf: Path) -> ServerOptions:
    """The config as supervisord itself reads it (raises on anything it would refuse)."""
    options = ServerOptions()
    options.configfile = str(conf)
    options.process_config(do_usage=False)
    return options


@pytest.mark.parametrize("scale", [1, 2])
def test_the_real_procfile_gives_a_config_supervisord_accepts(tmp_path: Path, scale: int) -> None:
    var = tmp_path / "var"
    result = subprocess.run([sys.executable, str(SUPERVISE), "--write-only", "--var", str(var)], cwd=tmp_path,
                            env={**os.environ, "SCALE": str(scale)}, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    conf = Path(result.stdout.strip())
    assert conf == var / "supervisord.conf"
    assert conf.stat().st_mode & 0o077 == 0, "the config holds the control socket's password"
    options = load(conf)
    assert options.parse_warnings == [] and options.parse_criticals == []
    assert options.nodaemon and options.silent and options.logfile == "/dev/stdout" and options.logfile_maxbytes == 0
    assert options.pidfile == str(var / "supervisord.pid")
    assert options.configroot.supervisord.server_configs[0]["file"] == str(var / "supervisor.sock")

    groups = {group.name: group for group in options.process_group_configs}
    names = procfile_names()
    assert set(groups) == set(names), "every Procfile entry, and only those, is a program"
    for name in names:
        processes = groups[name].process_configs
        if name.endswith(("-consumer", "-relay")):
            assert [p.name for p in processes] == [f"{name}-{n}" for n in range(1, scale + 1)]
        else:
            assert [p.name for p in processes] == [name]
        for process in processes:
            assert process.environment["PROCESS_NAME"] == process.name
            assert process.environment["DJANGO_SETTINGS_MODULE"] == f"{name.split('-')[0]}.settings"
            assert process.autostart and process.autorestart is RestartUnconditionally
            assert process.startretries >= 50 and process.startsecs >= 1
            assert process.stopsignal == signal.SIGTERM and process.stopwaitsecs == 20
            assert process.stopasgroup and process.killasgroup
            assert process.redirect_stderr
            assert process.stdout_logfile == "/dev/stdout" and process.stdout_logfile_maxbytes == 0
            assert process.directory == str(ROOT)
            argv = shlex.split(process.command)
            assert argv[:2] == ["/bin/sh", "-c"] and argv[2].startswith("exec .venv/bin/")
            program = shlex.split(argv[2])[1]
            assert (ROOT / program).exists() or not (ROOT / ".venv").exists(), program
            if name.endswith("-web"):
                formats = shlex.split(argv[2])
                assert formats[formats.index("--access-logformat") + 1].startswith(f"[{name}] ")
            if name.endswith("-worker"):
                assert f"{name.split('-')[0]}@%h" in argv[2], "celery's %h survives supervisord's expansion"


def test_bad_procfiles_are_refused_with_the_line(tmp_path: Path) -> None:
    procfile = tmp_path / "Procfile"
    for text, message in [
        ("web python -m http.server\n", "Procfile:1: not a `name: command` line"),
        ("a: sleep 1\na: sleep 2\n", "'a' is defined twice"),
        ("a: X=1\n", "'a' has no command"),
        ("# nothing\n", "no processes"),
        ("a: sleep 1 ;echo no\n", "as a comment"),
    ]:
        procfile.write_text(text)
        result = subprocess.run([sys.executable, str(SUPERVISE), "--procfile", str(procfile), "--var",
                                 str(tmp_path / "var"), "--write-only"], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2 and message in result.stderr, (text, result.stderr)
    procfile.write_text("a: sleep 1\n")
    result = subprocess.run([sys.executable, str(SUPERVISE), "--procfile", str(procfile), "--var",
                             str(tmp_path / "var"), "--write-only"], env={**os.environ, "SCALE": "zero"},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "SCALE" in result.stderr
