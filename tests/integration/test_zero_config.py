"""``make run`` with no configuration at all: SQLite, the file-system broker, web + worker + matcher + beat.

This is what a newcomer gets on a laptop, so it must archive a cited page end to end and stop
cleanly on Ctrl-C. It needs no PostgreSQL or Redis, but starts real processes and is slow.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.claims.servers import LoopbackServer, Reply, free_port
from tests.conftest import ROOT, wait_until

ARTICLE = (Path(__file__).parent.parent / "claims" / "pages" / "news_article.html").read_bytes()

HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGES_CITED = 12

pytestmark = pytest.mark.integration


def zero_config_env(var_dir: Path, port: int) -> dict[str, str]:
    """The developer's environment minus anything that configures the app, plus where to put its files."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "CELERY_", "FETCH_", "DATABASE_URL", "VAR_DIR", "TEST_"))
    }
    env.update(HOST="127.0.0.1", PORT=str(port), VAR_DIR=str(var_dir), FETCH_ALLOWLIST="127.0.0.1")
    env.update(WEB_CONCURRENCY="1", PYTHONUNBUFFERED="1")
    return env


def get_json(url: str, key: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {}
    except OSError:
        return 0, {}


def interrupt(make: subprocess.Popen, timeout: float = 30) -> tuple[float, list[str]]:
    """Ctrl-C: SIGINT to make's process group. Returns how long everything took to exit and what did not."""
    descendants = psutil.Process(make.pid).children(recursive=True)
    started = time.monotonic()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(make.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        make.wait(timeout=timeout)
    _, alive = psutil.wait_procs(descendants, timeout=max(0.1, timeout - (time.monotonic() - started)))
    took = time.monotonic() - started
    stuck = [" ".join(p.cmdline()) for p in alive]
    for process in alive:  # leave nothing behind, even when the test fails
        process.kill()
    if make.poll() is None:
        make.kill()
        make.wait()
    return took, stuck


CLAIM = "The city council doubled the road budget to 40 million euros in 2024."
RESTATED = "Road budget doubled to 40 million euros in 2024, says the city council"


def test_make_run_archives_a_cited_page_and_stops_on_ctrl_c(tmp_path):
    var_dir = tmp_path / "var"
    port = free_port()
    env = zero_config_env(var_dir, port)
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "make-run.log"
    started = time.monotonic()
    with LoopbackServer() as pages, open(log_path, "wb") as log:
        # Every citation on its own page: the 16 worker threads write to the one SQLite file at once.
        pages.route("/article", lambda r: Reply(200, HTML, ARTICLE.replace(b"Riverside", r.path.encode())))
        urls = [pages.url(f"/article?n={n}") for n in range(PAGES_CITED)]
        # -o: the virtualenv is already installed (CI's `make test` refreshes it first); never reinstall here.
        make = subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv/.installed", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until(
                lambda: get_json(f"{base}/healthz")[0] == 200,
                timeout=60,
                interval=0.5,
                message=f"make run never became healthy:\n{log_path.read_text()[-4000:]}",
            )
            up_in = time.monotonic() - started
            assert (var_dir / "factcheck.sqlite3").is_file()
            assert get_json(f"{base}/healthz")[1] == {"database": "ok", "broker": "ok"}
            commands = " ".join(" ".join(p.cmdline()) for p in psutil.Process(make.pid).children(recursive=True))
            assert "gunicorn" in commands and " worker " in commands and " beat" in commands, commands
            assert "-Q matching" in commands, commands  # the matcher

            created = subprocess.run(
                [sys.executable, "manage.py", "create_api_key", "--name", "zero config", "--scopes", "intake,read"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            key = created.stdout.strip().splitlines()[-1]
            request = urllib.request.Request(
                f"{base}/api/v1/claims/",
                data=json.dumps({"text": CLAIM, "sources": urls}).encode(),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 201
                claim_id = json.loads(response.read())["id"]
            posted = time.monotonic()

            def sources() -> list[dict]:
                return get_json(f"{base}/api/v1/claims/{claim_id}/", key)[1].get("sources", [])

            wait_until(
                lambda: [s["fetch_status"] for s in sources()] == ["fetched"] * PAGES_CITED,
                timeout=30,
                interval=0.5,
                message=f"sources not fetched: {sources()}\n{log_path.read_text()[-4000:]}",
            )
            fetched_in = time.monotonic() - posted
            assert {s["title"] for s in sources()} == {"City council doubles road budget"}
            assert len(pages.requests) == PAGES_CITED

            # Matching works on SQLite too: the matcher indexes claims, a restatement finds the first one.
            restated = urllib.request.Request(
                f"{base}/api/v1/claims/",
                data=json.dumps({"text": RESTATED}).encode(),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(restated, timeout=10) as response:
                restated_id = json.loads(response.read())["id"]

            def similar() -> list[dict]:
                return get_json(f"{base}/api/v1/claims/{restated_id}/similar/", key)[1]

            wait_until(
                lambda: [m["claim_id"] for m in similar()][:1] == [claim_id],
                timeout=60,
                interval=1,
                message=f"no match: {similar()}\n{log_path.read_text()[-4000:]}",
            )
        finally:
            stopped_in, stuck = interrupt(make)

    assert stuck == [], f"still running after Ctrl-C:\n{stuck}\n{log_path.read_text()[-3000:]}"
    assert "database is locked" not in log_path.read_text()
    print(
        f"make run healthy in {up_in:.1f}s, {PAGES_CITED} sources fetched {fetched_in:.1f}s after the POST, stopped in {stopped_in:.1f}s"
    )
