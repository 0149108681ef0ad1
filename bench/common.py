"""Shared machinery of the benchmarks: bench database, Redis, child processes, results.

Benchmarks use the machine's real PostgreSQL and Redis. They create (and drop)
a dedicated database, ``factcheck_bench`` unless ``BENCH_DATABASE_URL`` says
otherwise, and flush Redis db 13 (``BENCH_REDIS_URL``). Every process they
start lives in its own process group and is stopped on exit, Ctrl-C included.
``BENCH_SETTINGS`` names another Django settings module for those processes
(e.g. one on ``PYTHONPATH`` that imports ``factcheck.settings`` and changes one
thing), to measure a change before making it. ``BENCH_PY_SPY`` (or ``py-spy`` on
``PATH``) adds a profile of where the processes spend their GIL time.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
OUT_DIR = ROOT / "var" / "bench"
LOG_DIR = OUT_DIR / "logs"

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Stopping cleanly ----------------------------------------------------------------------


def raise_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt so ``finally`` blocks stop our children."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


# --- Database and broker -------------------------------------------------------------------


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit(f"BENCH_DATABASE_URL has no database name: {url}")
    return urlunsplit(parts._replace(path="/postgres")), name


def _psycopg_url(url: str) -> str:
    # django-environ accepts postgres://, postgresql://, pgsql://; libpq wants the first two.
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql")) if parts.scheme not in ("postgres", "postgresql") else url


def _drop_create(url: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    maintenance, name = _maintenance_url(url)
    with psycopg.connect(_psycopg_url(maintenance), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """A fresh, migrated bench database; dropped afterwards. Yields its URL."""
    log(f"creating database {urlsplit(DATABASE_URL).path.lstrip('/')} and migrating")
    _drop_create(DATABASE_URL, create=True)
    try:
        result = subprocess.run(
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{result.stdout}\n{result.stderr}")
        yield DATABASE_URL
    finally:
        with contextlib.suppress(Exception):
            _drop_create(DATABASE_URL, create=False)


def db_connect():
    import psycopg

    return psycopg.connect(_psycopg_url(DATABASE_URL), autocommit=True, connect_timeout=5)


def db_counters(conn) -> dict[str, int]:
    """Connections opened (PostgreSQL 14+) and transactions committed in the bench database so far.

    Every statement outside ``transaction.atomic`` is a transaction of its own,
    so the transaction count is a cheap stand-in for the number of round trips.
    """
    row = conn.execute(
        "SELECT sessions, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()
    return {"connections": int(row[0] or 0), "transactions": int(row[1] or 0)} if row else {}


def db_counters_delta(conn, before: dict[str, int]) -> dict[str, int]:
    time.sleep(0.7)  # backends publish their statistics about every half second
    after = db_counters(conn)
    return {name: after.get(name, 0) - before.get(name, 0) for name in before}


def redis_flush() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.flushdb()
    finally:
        client.close()


def redis_queue_length(queue: str = "celery") -> int:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


# --- Child processes -----------------------------------------------------------------------


def child_env(**overrides: str) -> dict[str, str]:
    """Environment of every process the benchmarks start: bench DB, bench Redis, loopback allowed."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "FETCH_", "DATABASE_URL", "PYTEST_"))
    }
    env.update(
        {
            # BENCH_SETTINGS lets one measure a settings variant (a module on PYTHONPATH) before adopting it.
            "DJANGO_SETTINGS_MODULE": os.environ.get("BENCH_SETTINGS", "factcheck.settings"),
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": DATABASE_URL,
            "CELERY_BROKER_URL": REDIS_URL,
            "FETCH_ALLOWLIST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            # Measured as deployed: production mode (no debug query log), plain HTTP on loopback.
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
        }
    )
    env.update(overrides)
    return env


try:  # resolved now: nothing should be imported between fork and exec
    _PRCTL = ctypes.CDLL("libc.so.6", use_errno=True).prctl
except (OSError, AttributeError):
    _PRCTL = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the benchmark dies without cleaning up (e.g. SIGKILL)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")

    def stop(self, timeout: float = 15) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # Threads or forks the leader left behind in its group go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None


class Children:
    """Processes started by a benchmark, each in its own process group; stopped in reverse order."""

    def __init__(self, run_name: str) -> None:
        self.run_name = run_name
        self.started: list[Child] = []
        LOG_DIR.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, args: Sequence[str], env: dict[str, str] | None = None, *, pipe_stdout=False) -> Child:
        log_path = LOG_DIR / f"{self.run_name}-{name}.log"
        log_file = open(log_path, "wb")  # noqa: SIM115 - closed by Child.stop
        proc = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env=env or child_env(),
            stdout=subprocess.PIPE if pipe_stdout else log_file,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        child = Child(name, proc, log_path, log_file)
        self.started.append(child)
        return child

    def stop_all(self) -> None:
        for child in reversed(self.started):
            with contextlib.suppress(Exception):
                child.stop()
        self.started.clear()

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop_all()


def manage(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env or child_env(), capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def create_api_key(name: str = "bench") -> str:
    """A key with the intake and read scopes, made by the real management command."""
    lines = [line.strip() for line in manage("create_api_key", "--name", name, "--scopes", "intake,read").splitlines()]
    return [line for line in lines if line][-1]


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    children: Children, port: int, *, workers: int = 2, threads: int = 4, env: dict[str, str] | None = None
) -> Child:
    """The ``web`` line of the Procfile, bound to loopback (``env``: e.g. ``child_env(API_KEY_RATE=...)``)."""
    args = [
        str(VENV_BIN / "gunicorn") if (VENV_BIN / "gunicorn").exists() else "gunicorn",
        "factcheck.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "120",
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        "127.0.0.1",
    ]
    child = children.start("gunicorn", args, env)
    wait_http_ok(f"http://127.0.0.1:{port}/healthz", child)
    return child


def start_worker(
    children: Children, concurrency: int, pool: str = "threads", name: str = "worker", queues: str = "celery"
) -> Child:
    """The ``worker`` line of the Procfile (``name`` tells several apart; ``queues="matching"``: the ``matcher``)."""
    args = [
        str(VENV_BIN / "celery") if (VENV_BIN / "celery").exists() else "celery",
        "-A",
        "factcheck",
        "worker",
        "-Q",
        queues,
        "--loglevel",
        "WARNING",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--without-mingle",
        "--without-gossip",
        "--hostname",
        f"{name}@%h",
    ]
    return children.start(name, args)


def wait_http_ok(url: str, child: Child, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        child.check_alive()
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:300]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise RuntimeError(f"{url} not healthy within {timeout}s ({last}):\n{child.log_tail()}")


# --- Measuring -----------------------------------------------------------------------------


class RssSampler:
    """Peak resident memory of a process and all its descendants, sampled in a thread."""

    def __init__(self, pids: int | Sequence[int], interval: float = 0.2) -> None:
        self.pids = [pids] if isinstance(pids, int) else list(pids)
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree_rss(self) -> int:
        import psutil

        procs = []
        for pid in self.pids:
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(pid)
                procs += [root, *root.children(recursive=True)]
        total = 0
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class CpuWatch:
    """CPU seconds of the machine, and of our processes, over an interval.

    Named process trees (gunicorn, worker...), this process, the PostgreSQL
    backends serving the bench database and the Redis server are ours; the rest
    of what the machine spent is ``not_ours``: other people's tests running at
    the same time land there, so a large figure means noisy results. (So does
    the CPU of PostgreSQL backends of ours that exited before the end: a
    connection per task shows up there, see ``db_counters``.)
    """

    def __init__(self, **pids: int | Sequence[int]) -> None:
        import psutil

        self._psutil = psutil
        self.pids = {name: [pid] if isinstance(pid, int) else list(pid) for name, pid in pids.items()}
        self._database = urlsplit(DATABASE_URL).path.lstrip("/")
        self._start_total = psutil.cpu_times()
        self._start = self._snapshot()
        self._t0 = time.monotonic()

    def _snapshot(self) -> dict[int, tuple[float, str]]:
        found = {}
        for proc in self._psutil.process_iter(["pid", "name", "cmdline", "cpu_times"]):
            times = proc.info.get("cpu_times")
            if times is None:
                continue
            cmd = " ".join(proc.info.get("cmdline") or [proc.info.get("name") or "?"])
            found[proc.info["pid"]] = (times.user + times.system, cmd[:160])
        return found

    def _tree(self, pids: list[int]) -> set[int]:
        psutil = self._psutil
        members = set(pids)
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                members.update(child.pid for child in psutil.Process(pid).children(recursive=True))
        return members

    def _group(self, pid: int, cmd: str, trees: dict[str, set[int]]) -> str | None:
        if pid == os.getpid():
            return "bench_process"
        for name, members in trees.items():
            if pid in members:
                return name
        if cmd.startswith("postgres:") and f" {self._database} " in cmd:
            return "postgres"
        if cmd.startswith("redis-server"):
            return "redis"
        return None

    def stop(self) -> dict[str, Any]:
        wall = time.monotonic() - self._t0
        end_total = self._psutil.cpu_times()
        end = self._snapshot()
        trees = {name: self._tree(pids) for name, pids in self.pids.items()}
        busy = sum(
            getattr(end_total, f) - getattr(self._start_total, f)
            for f in end_total._fields
            if f not in ("idle", "iowait", "guest", "guest_nice")
        )
        cores = self._psutil.cpu_count() or 1
        groups: dict[str, float] = {name: 0.0 for name in ("bench_process", *self.pids, "postgres", "redis")}
        others: list[tuple[float, str]] = []
        for pid, (cpu, cmd) in end.items():
            used = cpu - self._start.get(pid, (0.0, ""))[0]
            group = self._group(pid, cmd, trees)
            if group is None:
                others.append((used, cmd))
            else:
                groups[group] += used
        ours = sum(groups.values())
        others.sort(key=lambda item: -item[0])
        return {
            "wall_s": round(wall, 3),
            "cores": cores,
            "machine_cpu_s": round(busy, 2),
            "machine_busy_pct": round(100 * busy / max(wall * cores, 1e-9), 1),
            **{f"{name}_cpu_s": round(value, 2) for name, value in groups.items()},
            # Short-lived processes of others (test runs) are gone by now: count all that is not ours.
            "not_ours_cpu_s": round(max(busy - ours, 0.0), 2),
            "other_processes_top": [{"cpu_s": round(cpu, 2), "cmd": cmd} for cpu, cmd in others[:4] if cpu >= 0.2],
        }


def other_load() -> dict[str, Any]:
    """How busy the machine is while we run nothing (2 s), and with what: interference from parallel test runs."""
    import psutil

    procs = []
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            proc.cpu_percent(None)
            procs.append(proc)
    psutil.cpu_percent(None)
    time.sleep(2.0)
    busy = psutil.cpu_percent(None)
    rows = []
    me = os.getpid()
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            if proc.pid == me:
                continue
            pct = proc.cpu_percent(None)
            if pct >= 5:
                cmd = " ".join(proc.info.get("cmdline") or [proc.info.get("name") or "?"])[:100]
                rows.append({"pid": proc.pid, "cpu_pct": round(pct, 1), "cmd": cmd})
    rows.sort(key=lambda r: -r["cpu_pct"])
    return {"machine_busy_pct": busy, "load_avg_1m": round(os.getloadavg()[0], 2), "busy_processes": rows[:8]}


def interference_rows(load: dict[str, Any], *cpus: dict[str, Any]) -> list[tuple[str, str]]:
    """Table rows saying how busy the machine was with other work, and a warning when it matters."""
    before, after = load["before"], load["after"]
    rows = [
        (
            "machine busy while idle (before/after)",
            f"{before['machine_busy_pct']:.0f}% / {after['machine_busy_pct']:.0f}% of {os.cpu_count()} cores",
        )
    ]
    not_ours = max((cpu.get("not_ours_cpu_s", 0) / max(cpu["machine_cpu_s"], 1e-9) for cpu in cpus), default=0)
    if max(before["machine_busy_pct"], after["machine_busy_pct"]) > 15 or not_ours > 0.25:
        rows.append(("WARNING", "other work shared the CPU: figures are noisy, rerun on an idle machine"))
        seen = set()
        for proc in [*before["busy_processes"], *after["busy_processes"]][:3]:
            if proc["cmd"] not in seen:
                seen.add(proc["cmd"])
                rows.append(("  e.g.", f"{proc['cpu_pct']}% {proc['cmd'][:80]}"))
    return rows


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


# --- Profiling (optional: needs py-spy, e.g. ``pip install --target /tmp/pyspy py-spy``) -------


@contextlib.contextmanager
def py_spy(binary: str | None, children: Children, name: str, pid: int, *, subprocesses: bool = False):
    """Sample ``pid`` (and its children) with py-spy while the block runs; yields the folded-stacks path."""
    if not binary:
        yield None
        return
    out = OUT_DIR / f"{name}.folded"
    out.unlink(missing_ok=True)
    args = [
        binary,
        "record",
        "-p",
        str(pid),
        "-f",
        "raw",
        "-o",
        str(out),
        "--nolineno",
        "--gil",
        "--nonblocking",
        "-r",
        "100",
    ]
    spy = children.start(f"py-spy-{name}", args + (["--subprocesses"] if subprocesses else []))
    time.sleep(1.0)  # py-spy attaches
    try:
        yield out
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(spy.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            spy.proc.wait(timeout=30)


def profile_summary(
    path: Path | None, outer: Sequence[tuple[str, str]], inner: Sequence[tuple[str, str]], top: int = 12
) -> dict[str, Any]:
    """Share of GIL-holding samples per stage, and the hottest leaf functions.

    A sample belongs to the first ``outer`` rule (a stage of our own code, e.g.
    ``extract_document``) matching any of its frames; failing that, to the
    innermost frame matching an ``inner`` rule (a library layer, e.g. ``psycopg``).
    """
    if path is None or not path.exists():
        return {}
    by_stage: dict[str, int] = {}
    leaves: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        label = next((lbl for lbl, needle in outer if any(needle in frame for frame in frames)), None)
        if label is None:
            label = next((lbl for frame in reversed(frames) for lbl, needle in inner if needle in frame), "other")
        by_stage[label] = by_stage.get(label, 0) + count
        leaves[frames[-1]] = leaves.get(frames[-1], 0) + count
    if not total:
        return {}

    def share(counts: dict[str, int], limit: int | None = None) -> dict[str, float]:
        ordered = sorted(counts.items(), key=lambda item: -item[1])[:limit]
        return {key: round(100 * value / total, 1) for key, value in ordered}

    return {"samples": total, "stage_pct": share(by_stage), "top_leaf_pct": share(leaves, top)}


def print_profile(title: str, summary: dict[str, Any]) -> None:
    if not summary:
        return
    print(f"{title} ({summary['samples']} samples holding the GIL)")
    for label, pct in summary["stage_pct"].items():
        print(f"  {pct:5.1f}%  {label}")
    print("  hottest functions (self time):")
    for label, pct in summary["top_leaf_pct"].items():
        print(f"  {pct:5.1f}%  {label[:110]}")
    print()


# --- Reporting -----------------------------------------------------------------------------


def print_table(title: str, rows: Sequence[tuple[str, Any]]) -> None:
    width = max(len(label) for label, _ in rows)
    print()
    print(title)
    print("-" * max(len(title), width + 20))
    for label, value in rows:
        if isinstance(value, float):
            value = f"{value:,.2f}"
        print(f"  {label.ljust(width)}  {value}")
    print()


def machine_info() -> dict[str, Any]:
    import psutil

    return {
        "python": platform.python_version(),
        "cpus": psutil.cpu_count(),
        "memory_mib": psutil.virtual_memory().total // (1024 * 1024),
        "platform": platform.platform(),
    }


def write_results(name: str, data: dict[str, Any]) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    payload = {
        "benchmark": name,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


# --- Desk people and bulk rows -------------------------------------------------------------

_DESK_USERS_CODE = """
import json, os
from claims.intake.keys import api_key_create
from reviews.people import user_add
spec = json.loads(os.environ["BENCH_DESK_SPEC"])
made = []
for n in range(spec["count"]):
    name = "%s%03d" % (spec["prefix"], n)
    user = user_add(name, spec["role"], spec["languages"])
    _, raw = api_key_create(name="bench " + name, scopes=spec["scopes"], user=user)
    made.append([name, raw])
print("DESK_USERS " + json.dumps(made))
"""


def desk_users(
    count: int, *, prefix: str, role: str = "factchecker", languages: Sequence[str] = ("en",), scopes=("review", "read")
) -> list[tuple[str, str]]:
    """``count`` desk members (``reviews.people.user_add``), each with a key acting as them; (username, key).

    One ``manage.py shell`` process for all of them: ``add_user`` + ``create_api_key``
    per person would start Django 2 x ``count`` times.
    """
    spec = {"count": count, "prefix": prefix, "role": role, "languages": list(languages), "scopes": list(scopes)}
    out = manage("shell", "-c", _DESK_USERS_CODE, env=child_env(BENCH_DESK_SPEC=json.dumps(spec)), timeout=300)
    line = next(line for line in reversed(out.splitlines()) if line.startswith("DESK_USERS "))
    return [(name, key) for name, key in json.loads(line.removeprefix("DESK_USERS "))]


def copy_rows(conn, table: str, columns: Sequence[str], rows) -> int:
    """``COPY table (columns) FROM STDIN`` from an iterable of tuples; returns the row count."""
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(column) for column in columns)
    )
    count = 0
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


# --- HTTP load -------------------------------------------------------------------------------


@dataclass
class Call:
    """One request a load client sends, and the status that counts as success."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None
    expect: int = 200


@dataclass
class LoadResult:
    """Requests that finished inside the measured window (latencies in seconds) and what went wrong."""

    seconds: float
    latencies: list[float]
    errors: int
    error_samples: list[str]
    sent_including_warmup: int
    ok_including_warmup: int
    bodies: list[bytes] = field(default_factory=list)  # every successful body (``keep_bodies``), warm-up included

    def summary(self) -> dict[str, Any]:
        return latency_summary(self.latencies, self.seconds, self.errors, self.error_samples) | {
            "sent_including_warmup": self.sent_including_warmup,
            "ok_including_warmup": self.ok_including_warmup,
        }


def latency_summary(latencies: Sequence[float], seconds: float, errors: int = 0, samples=()) -> dict[str, Any]:
    return {
        "seconds": round(seconds, 2),
        "requests_ok": len(latencies),
        "requests_per_s": round(len(latencies) / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "max_ms": round(max(latencies, default=0.0) * 1000, 2),
        "errors": errors,
        "error_samples": list(samples)[:5],
    }


def http_load(
    port: int,
    clients: int,
    warmup: float,
    duration: float,
    calls: Callable[[int], Callable[[int], Call]],
    *,
    stop_after_ok: int | None = None,
    keep_bodies: bool = False,
) -> LoadResult:
    """``clients`` threads, each with a keep-alive connection, send ``calls(client)(n)`` back to back.

    Requests finishing within ``duration`` seconds after ``warmup`` count. With
    ``stop_after_ok`` the clients stop once that many requests (warm-up included)
    succeeded, and the window ends with the last request.
    """
    barrier = threading.Barrier(clients + 1)
    stop_at = [float("inf")]
    lock = threading.Lock()
    ok_total = [0]
    timings: list[list[tuple[float, float, bool]]] = [[] for _ in range(clients)]
    errors: list[str] = []
    bodies: list[bytes] = []

    def client(number: int) -> None:
        make = calls(number)
        conn: http.client.HTTPConnection | None = None
        sent = 0
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        while True:
            began = time.perf_counter()
            if began >= stop_at[0]:
                break
            call = make(sent)
            sent += 1
            ok = False
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request(call.method, call.path, body=call.body, headers=call.headers)
                response = conn.getresponse()
                payload = response.read()
                ok = response.status == call.expect
                if not ok and len(errors) < 5:
                    errors.append(f"{call.method} {call.path} -> {response.status}: {payload[:300]!r}")
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                if len(errors) < 5:
                    errors.append(f"{call.method} {call.path} -> {type(exc).__name__}: {exc}")
                if conn is not None:
                    conn.close()
                conn = None
            timings[number].append((began, time.perf_counter(), ok))
            if ok and (keep_bodies or stop_after_ok is not None):
                with lock:
                    if keep_bodies:
                        bodies.append(payload)
                    ok_total[0] += 1
                    if stop_after_ok is not None and ok_total[0] >= stop_after_ok:
                        stop_at[0] = 0.0
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    try:
        barrier.wait()
        window_start = time.perf_counter() + warmup
        window_end = window_start + duration
        stop_at[0] = min(stop_at[0], window_end)
        for thread in threads:
            thread.join(timeout=warmup + duration + 120)
    finally:
        stop_at[0] = 0.0  # interrupted: clients stop after their current request
        barrier.abort()
    last_end = max((end for rows in timings for _, end, _ in rows), default=window_start)
    window_end = min(window_end, last_end)
    measured = [(end - start, ok) for rows in timings for start, end, ok in rows if window_start <= end <= window_end]
    return LoadResult(
        seconds=max(window_end - window_start, 0.0),
        latencies=[latency for latency, ok in measured if ok],
        errors=sum(1 for _, ok in measured if not ok),
        error_samples=errors[:5],
        sent_including_warmup=sum(len(rows) for rows in timings),
        ok_including_warmup=sum(1 for rows in timings for _, _, ok in rows if ok),
        bodies=bodies,
    )


def http_get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 120):
    """One request: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


_CLAIM_WORDS_TEXT = (
    "government minister said report data figures percent year million people country city council budget "
    "health hospital school teachers students police crime unemployment inflation prices energy wind solar "
    "coal emissions climate water housing rent election vote campaign poll survey study university official "
    "increase decrease record highest lowest average national local television radio social media analysis "
    "evidence agency ministry court ruling law policy funding tax revenue spending deficit debt growth economy "
    "jobs workers wages pension vaccine doctors patients waiting beds emergency ambulance minutes"
)
_CLAIM_WORDS = tuple(_CLAIM_WORDS_TEXT.split())
_CLAIMANTS = ("the Prime Minister", "the health minister", "Senator Alvarez", "Mayor Chen", "a viral post", "Dr Okafor")
CLAIM_COLUMNS = (
    "text",
    "text_key",
    "claimant",
    "appeared_at",
    "language",
    "priority",
    "channel",
    "status",
    "created_at",
    "updated_at",
)


def insert_claims(
    conn, count: int, *, status: str, first: int = 0, seed: int = 1, languages: Sequence[tuple[str, float]] = ()
) -> int:
    """``count`` claims with distinct texts (numbered from ``first``) by COPY; returns the count.

    Priorities are mostly normal with some high, urgent and low; ``created_at`` spreads over
    the last 30 days; ``languages`` gives (tag, weight) pairs (default: English).
    """
    import random
    from datetime import UTC, datetime, timedelta

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from claims.normalize import claim_text_key

    rng = random.Random(seed * 1_000_003 + first)
    tags, weights = zip(*(languages or [("en", 1.0)]), strict=True)
    now = datetime.now(UTC)

    def rows():
        for index in range(first, first + count):
            words = " ".join(rng.choice(_CLAIM_WORDS) for _ in range(rng.randint(10, 22)))
            claimant = rng.choice(_CLAIMANTS)
            text = f"{claimant.capitalize()} said {words}, {rng.randint(2, 98)} percent (claim {index})."
            created = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
            priority = rng.choices((0, 1, 2, 3), weights=(10, 70, 15, 5))[0]
            language = rng.choices(tags, weights=weights)[0]
            yield (
                text,
                claim_text_key(text),
                claimant,
                f"https://social.example.org/posts/{index}",
                language,
                priority,
                "api",
                status,
                created,
                created,
            )

    return copy_rows(conn, "claims_claim", CLAIM_COLUMNS, rows())


# --- Queries per request (diagnostics) -------------------------------------------------------

_QUERY_PROFILE_CODE = """
import json, os, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
spec = json.loads(os.environ["BENCH_QUERY_SPEC"])
client = Client()
out = []
for item in spec:
    extra = {"HTTP_HOST": "127.0.0.1"}
    extra.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in item.get("headers", {}).items()})
    call = getattr(client, item["method"].lower())
    call(item["path"], **extra)  # warm-up: imports, permission and content-type caches
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = call(item["path"], **extra)
        elapsed = time.perf_counter() - started
    queries = [{"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"]} for q in captured.captured_queries]
    slowest = sorted(queries, key=lambda q: -q["ms"])[:3]
    for query in slowest:
        if query["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query["sql"])
                query["plan"] = [row[0] for row in cursor.fetchall()][:14]
        query["sql"] = query["sql"][:1500]
    out.append({
        "name": item["name"], "path": item["path"], "status": response.status_code,
        "ms": round(elapsed * 1000, 1), "queries": len(queries),
        "db_ms": round(sum(q["ms"] for q in queries), 1), "slowest": slowest,
        "all": [f'{q["ms"]:>6} ms  {q["sql"][:160]}' for q in queries],
    })
print("QUERY_PROFILE " + json.dumps(out))
"""


def query_profile(requests: Sequence[dict[str, Any]], env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Per request (``name``, ``method``, ``path``, ``headers``): status, SQL query count and the 3 slowest
    queries with their ``EXPLAIN ANALYZE``, served once in-process by Django's test client (after one
    warm-up call) against the bench database. Diagnostics, not timing: the figures include debug overhead.
    """
    spec = json.dumps(list(requests))
    out = manage("shell", "-c", _QUERY_PROFILE_CODE, env={**(env or child_env()), "BENCH_QUERY_SPEC": spec})
    line = next(line for line in reversed(out.splitlines()) if line.startswith("QUERY_PROFILE "))
    return json.loads(line.removeprefix("QUERY_PROFILE "))


def print_query_profile(profiles: Sequence[dict[str, Any]], plans: bool = True) -> None:
    if not profiles:
        return
    print("SQL per request (Django test client, one call after a warm-up; see the JSON for the SQL):")
    for item in profiles:
        print(f"  {item['name']}: HTTP {item['status']}, {item['queries']} queries, {item['db_ms']} ms in the database")
        for query in item["slowest"][:1]:
            print(f"    slowest {query['ms']} ms: {query['sql'][:150]}")
            if plans:
                for line in query.get("plan", [])[:8]:
                    print(f"      {line}")
    print()


def cpu_line(cpu: dict) -> str:
    """One line of a CpuWatch result: how busy the machine was and who used the CPU."""
    parts = [
        f"{name[:-6]} {value:.1f}"
        for name, value in cpu.items()
        if name.endswith("_cpu_s") and name != "machine_cpu_s" and value >= 0.05
    ]
    return f"{cpu['machine_busy_pct']}% of {cpu['cores']} cores busy; CPU s: " + ", ".join(parts)
