"""Run every process of the Procfile under supervisord, in the foreground, with one log stream.

    python bin/supervise.py                      # what `make run` does: write var/supervisord.conf, exec supervisord -n
    SCALE=3 python bin/supervise.py              # three replicas of every *-consumer and *-relay
    python bin/supervise.py --write-only         # only write the config (and print its path)
    python bin/supervise.py --procfile P --var D # another Procfile / state folder (the tests use it)

The Procfile stays the one list of processes (honcho's format: `name: command`, `#` comments).
Leading `NAME=value` words of a command become the program's environment; the rest runs as
`/bin/sh -c 'exec <rest>'` in the Procfile's folder, so relative paths and `$VAR` work as they did
under honcho, and `exec` makes the pid supervisord watches (and signals) the program itself.

Every program's environment carries PROCESS_NAME (e.g. `publishing-consumer-1`, `publishing-web`),
the name `supervisorctl status` shows, so log formats can say which process wrote a line, and
PROMETHEUS_MULTIPROC_DIR, `<var>/metrics/<service>` for `<service>-<process>` entries: a service's
processes write their metrics there and its web's `GET /metrics` adds them up. The folders are
emptied on every start, before any process runs (what dead processes counted is gone with them);
supervisord writes all output unprefixed into its own stdout. With the config written, operators use
`supervisorctl -c var/supervisord.conf status | restart NAME | stop NAME | start NAME`.
"""
from __future__ import annotations

import argparse
import fcntl
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The environment variable that names the process a line comes from (set per program below).
PROCESS_NAME_VAR = "PROCESS_NAME"
# Where prometheus-client's multiprocess mode keeps a process's samples (one folder per service).
METRICS_DIR_VAR = "PROMETHEUS_MULTIPROC_DIR"
# Procfile entries whose name ends so are replicated SCALE times; everything else runs once.
SCALED_SUFFIXES = ("-consumer", "-relay")

# honcho's own rule for a Procfile line.
_LINE = re.compile(r"^([A-Za-z0-9_-]+):\s*(.+)$")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)
# Shell syntax after which `exec` would change what runs (only the first command would): such a
# command keeps its shell, which stopasgroup/killasgroup still signal together with its children.
_COMPOUND = re.compile(r"[;&|<>()`\n]")
# supervisord's config parser treats `;` or `#` after whitespace as the start of a comment.
_INLINE_COMMENT = re.compile(r"\s[;#]")

# Back-off (supervisord's own): a program that exits within STARTSECS of being started has failed
# to start; supervisord waits 1 s, then 2 s, 3 s, ... (one more second per failure) before each new
# try, and gives up (state FATAL, `supervisorctl start NAME` tries again) after STARTRETRIES
# failures in a row. Its default of 3 gives up after ~6 s, so a process that cannot start for a
# minute (PostgreSQL restarting, a half-saved file while editing) would stay down for good. 100
# keeps retrying for about 100*101/2 s = 84 minutes with the wait growing to 100 s: a crash loop
# neither spins the CPU nor floods the log, and ends FATAL only when something is plainly broken.
# STARTSECS is 10 rather than supervisord's 1 so that a process that dies a few seconds after start
# (a connect timeout, a setting read late) counts as a failed start and backs off too; one that ran
# longer is restarted at once, and its failure count starts again from zero.
STARTSECS = 10
STARTRETRIES = 100
# SIGTERM first (relay, consumer, gunicorn and Celery all stop cleanly on it), SIGKILL after this.
STOPWAITSECS = 20
# gunicorn's default access log format, behind the process name.
GUNICORN_ACCESS_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


class ProcfileError(ValueError):
    pass


@dataclass
class Entry:
    name: str
    environment: dict[str, str] = field(default_factory=dict)
    command: str = ""  # what runs after the environment, shell syntax

    @property
    def scaled(self) -> bool:
        return self.name.endswith(SCALED_SUFFIXES)

    @property
    def service(self) -> str | None:
        """`publishing` of `publishing-web`; None for a name without a process part."""
        service, dash, _process = self.name.rpartition("-")
        return service if dash and service else None


def metrics_dir(var: Path, entry: Entry) -> Path | None:
    return var / "metrics" / entry.service if entry.service else None


def metrics_dirs_reset(var: Path, entries: list[Entry]) -> None:
    """Empty every service's metrics folder: samples of processes that are gone must not add up
    with the new ones' (prometheus-client's multiprocess mode names files by pid)."""
    for folder in {metrics_dir(var.resolve(), entry) for entry in entries} - {None}:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)


def parse_procfile(text: str, source: str = "Procfile") -> list[Entry]:
    entries: list[Entry] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise ProcfileError(f"{source}:{number}: not a `name: command` line: {raw!r}")
        name, command = match.groups()
        if name in seen:
            raise ProcfileError(f"{source}:{number}: {name!r} is defined twice")
        seen.add(name)
        environment, rest = _split_assignments(command, f"{source}:{number}")
        if not rest:
            raise ProcfileError(f"{source}:{number}: {name!r} has no command")
        entries.append(Entry(name, environment, rest))
    if not entries:
        raise ProcfileError(f"{source}: no processes")
    return entries


def _split_assignments(command: str, where: str) -> tuple[dict[str, str], str]:
    """`A=1 B='x y' prog args` -> ({'A': '1', 'B': 'x y'}, 'prog args'), keeping the rest verbatim."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    environment: dict[str, str] = {}
    while True:
        start = lexer.instream.tell()
        try:
            token = lexer.get_token()
        except ValueError as error:
            raise ProcfileError(f"{where}: {error}") from None
        match = _ASSIGNMENT.match(token) if token is not None else None
        if match is None:
            return environment, command[start:].strip()
        environment[match[1]] = match[2]


def program_command(entry: Entry) -> str:
    command = entry.command
    argv0 = shlex.split(command)[0] if not _COMPOUND.search(command) else ""
    if (os.path.basename(argv0) == "gunicorn" and "--access-logfile" in command
            and "--access-logformat" not in command):
        command += " --access-logformat " + shlex.quote(f"[{entry.name}] {GUNICORN_ACCESS_FORMAT}")
    if not _COMPOUND.search(entry.command):
        command = "exec " + command
    return shlex.join(["/bin/sh", "-c", command])


def _value(text: str) -> str:
    """Escape for supervisord's %-expansion."""
    return text.replace("%", "%%")


def _env_pair(key: str, value: str) -> str:
    # supervisord splits environment= with a non-POSIX shlex: a value is quoted with " or ', and
    # cannot contain the quote that surrounds it (there is no escaping).
    quote = '"' if '"' not in value else "'"
    if quote in value:
        raise ProcfileError(f"{key}: a value cannot contain both kinds of quotes for supervisord")
    return f"{key}={quote}{_value(value)}{quote}"


def _check_line(key: str, value: str, program: str) -> str:
    if _INLINE_COMMENT.search(value):
        raise ProcfileError(f"{program}: supervisord would read ' ;' or ' #' in {key} as a comment; "
                            "put the command in a script")
    if "\n" in value:
        raise ProcfileError(f"{program}: {key} spans lines")
    return f"{key}={value}"


def _user_line() -> list[str]:
    """user=<whoever runs this>: no change of user, and no CRIT "running as root" line."""
    try:
        return [f"user={_value(pwd.getpwuid(os.getuid()).pw_name)}"]
    except KeyError:  # a uid without a name (some containers): supervisord could not look it up either
        return []


def render(entries: list[Entry], *, var: Path, directory: Path, scale: int = 1,
           startsecs: int = STARTSECS, startretries: int = STARTRETRIES, stopwaitsecs: int = STOPWAITSECS) -> str:
    if scale < 1:
        raise ValueError(f"SCALE must be 1 or more, not {scale}")
    var, directory = var.resolve(), directory.resolve()
    control = var / "supervisor.sock"  # supervisorctl's way in
    if len(str(control)) > 100:  # AF_UNIX paths are limited to 108 bytes
        raise ValueError(f"socket path too long for a unix socket: {control}")
    # A password new on every start, only in this file (written 0600), which supervisorctl -c reads;
    # the socket is the owner's alone anyway, but without one supervisord logs a CRIT line.
    password = secrets.token_urlsafe(18)
    lines = [
        "; Written by bin/supervise.py from the Procfile on every start: edit the Procfile, not this.",
        "[unix_http_server]",
        f"file={_value(str(control))}",
        "chmod=0700",
        "username=supervise",
        f"password={password}",
        "",
        "[supervisord]",
        "nodaemon=true",
        *_user_line(),
        # supervisord's own log goes to stdout through logfile=; silent stops it from also copying
        # every line to stdout itself, as it does in the foreground (-n), which would double them.
        "silent=true",
        "logfile=/dev/stdout",
        "logfile_maxbytes=0",
        "loglevel=info",
        f"pidfile={_value(str(var / 'supervisord.pid'))}",
        f"childlogdir={_value(str(var))}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{_value(str(control))}",
        "username=supervise",
        f"password={password}",
    ]
    for entry in entries:
        numprocs = scale if entry.scaled else 1
        name = "%(program_name)s-%(process_num)d" if entry.scaled else "%(program_name)s"
        # Unbuffered, as under honcho: lines reach the stream as they are written.
        environment = {"PYTHONUNBUFFERED": "1", **entry.environment}
        if (folder := metrics_dir(var, entry)) is not None:
            environment.setdefault(METRICS_DIR_VAR, str(folder))
        environment.pop(PROCESS_NAME_VAR, None)
        pairs = [_env_pair(k, v) for k, v in environment.items()]
        pairs.append(f'{PROCESS_NAME_VAR}="{name}"')  # expanded by supervisord for each replica
        settings = {
            "command": _value(program_command(entry)),
            "directory": _value(str(directory)),
            "environment": ",".join(pairs),
            "process_name": name,
            "numprocs": str(numprocs),
            "numprocs_start": "1",
            "autostart": "true",
            "autorestart": "true",
            "startsecs": str(startsecs),
            "startretries": str(startretries),
            "stopsignal": "TERM",
            "stopwaitsecs": str(stopwaitsecs),
            # The signal goes to the program's whole process group (gunicorn's and Celery's
            # workers, a shell's children), and so does the final SIGKILL.
            "stopasgroup": "true",
            "killasgroup": "true",
            # One log stream: the program's stderr joins its stdout, which goes to supervisord's
            # stdout (no rotation, since that is not a file).
            "redirect_stderr": "true",
            "stdout_logfile": "/dev/stdout",
            "stdout_logfile_maxbytes": "0",
        }
        lines += ["", f"[program:{entry.name}]"]
        lines += [_check_line(k, v, entry.name) for k, v in settings.items()]
    return "\n".join(lines) + "\n"


def already_running(var: Path) -> bool:
    """Whether a supervisord answers on this folder's socket (a stale socket file does not count)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        try:
            client.connect(str(var / "supervisor.sock"))
        except OSError:
            return False
    return True


def write_config(procfile: Path, var: Path, scale: int, directory: Path | None = None, **options: int) -> Path:
    entries = parse_procfile(procfile.read_text(), str(procfile))
    if already_running(var):
        # Rewriting its config would change its password (and SCALE) under the running one.
        raise RuntimeError(f"a supervisord already runs from {var / 'supervisord.conf'}: stop it first "
                           f"(Ctrl-C where it runs), or use supervisorctl -c {var / 'supervisord.conf'}")
    text = render(entries, var=var, directory=directory or procfile.resolve().parent, scale=scale, **options)
    var.mkdir(parents=True, exist_ok=True)
    conf = var / "supervisord.conf"
    temporary = conf.with_suffix(".conf.tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    temporary.replace(conf)
    return conf


def _append_if_file(fd: int) -> None:
    """supervisord writes its stdout through fd 1 and through its own opens of /dev/stdout, which
    append: into a file opened with `>` (no O_APPEND) the two would overwrite each other."""
    if stat.S_ISREG(os.fstat(fd).st_mode):
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)


def supervisord_argv() -> list[str]:
    beside = Path(sys.executable).with_name("supervisord")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("supervisord")
    return [found] if found else [sys.executable, "-m", "supervisor.supervisord"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procfile", type=Path, default=ROOT / "Procfile")
    parser.add_argument("--directory", type=Path, default=None,
                        help="where the commands run (default: the Procfile's folder)")
    parser.add_argument("--var", type=Path, default=ROOT / "var", help="where the config, socket and pidfile go")
    parser.add_argument("--scale", type=int, default=None,
                        help="replicas of every *-consumer and *-relay (default: $SCALE, else 1)")
    parser.add_argument("--startsecs", type=int, default=STARTSECS)
    parser.add_argument("--startretries", type=int, default=STARTRETRIES)
    parser.add_argument("--stopwaitsecs", type=int, default=STOPWAITSECS)
    parser.add_argument("--write-only", action="store_true", help="write the config, print its path, do not start")
    args = parser.parse_args(argv)
    if args.scale is None:
        raw = os.environ.get("SCALE", "").strip() or "1"
        try:
            args.scale = int(raw)
        except ValueError:
            parser.error(f"SCALE must be a whole number, not {raw!r}")
    try:
        conf = write_config(args.procfile, args.var, args.scale, args.directory, startsecs=args.startsecs,
                            startretries=args.startretries, stopwaitsecs=args.stopwaitsecs)
    except (ProcfileError, ValueError, RuntimeError, OSError) as error:
        print(f"supervise: {error}", file=sys.stderr)
        return 2
    if args.write_only:
        print(conf)
        return 0
    metrics_dirs_reset(args.var, parse_procfile(args.procfile.read_text(), str(args.procfile)))
    command = [*supervisord_argv(), "-n", "-c", str(conf)]
    sys.stdout.flush()
    _append_if_file(sys.stdout.fileno())
    os.execv(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
