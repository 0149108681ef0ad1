"""Run every benchmark (each in its own process) and print a one-screen summary.

    .venv/bin/python bench/run_all.py

Each benchmark also prints its own table and writes ``var/bench/<name>.json``.
Exits non-zero if a benchmark failed (not if a figure misses its target).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT_DIR, PYTHON, ROOT, print_table

BENCHMARKS = ("pipeline", "intake", "take_next", "verdicts", "eval_checkworthiness", "eval_matching", "matching")


def main() -> int:
    current: list[subprocess.Popen] = []

    def forward(signum: int, frame: object) -> None:
        for proc in current:
            proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    failed = []
    timings = {}
    for name in BENCHMARKS:
        started = time.monotonic()
        print(f"=== {name} ===", flush=True)
        # Same process group: Ctrl-C reaches the benchmark, which stops what it started.
        proc = subprocess.Popen([PYTHON, str(Path(__file__).with_name(f"{name}.py"))], cwd=ROOT)
        current[:] = [proc]
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            proc.wait()
            return 130
        timings[name] = round(time.monotonic() - started, 1)
        if code != 0:
            failed.append(name)
            if code in (130, -signal.SIGTERM, 128 + signal.SIGTERM):
                return code
    summarize(timings, [name for name in timings if name not in failed])
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def summarize(timings: dict[str, float], succeeded: list[str]) -> None:
    rows = []
    pipeline = _load("pipeline") if "pipeline" in succeeded else None
    if pipeline:
        p, b = pipeline["pipeline"], pipeline["baseline"]
        rows += [
            ("pipeline pages/s (1,000 pages)", p["pages_per_s"]),
            ("baseline pages/s (plain script)", b["pages_per_s"]),
            (
                "ratio pipeline/baseline",
                f"{pipeline['ratio_pipeline_over_baseline']:.2f} (target >= {pipeline['target_ratio']})",
            ),
            ("worker peak RSS (MiB)", p["worker_peak_rss_mib"]),
        ]
    intake = _load("intake") if "intake" in succeeded else None
    if intake:
        i, t = intake["intake"], intake["trivial"]
        rows += [
            ("intake POST /claims/ req/s", f"{i['requests_per_s']} (p50 {i['p50_ms']} ms, p95 {i['p95_ms']} ms)"),
            ("trivial GET /me/ req/s", f"{t['requests_per_s']} (p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms)"),
            ("ratio intake/trivial", f"{intake['ratio_intake_over_trivial']:.2f} (target >= {intake['target_ratio']})"),
            ("errors (intake / trivial)", f"{i['errors']} / {t['errors']}"),
        ]
    take = _load("take_next") if "take_next" in succeeded else None
    if take:
        small, large, me = take["take_1k"], take["take_100k"], take["trivial"]
        rows += [
            (
                "take-next @100,000 req/s",
                f"{large['requests_per_s']} (p50 {large['p50_ms']} ms, p99 {large['p99_ms']} ms)",
            ),
            (
                "take-next @1,000 req/s",
                f"{small['requests_per_s']} (p50 {small['p50_ms']} ms, p99 {small['p99_ms']} ms)",
            ),
            ("trivial GET /me/ (take run)", f"{me['requests_per_s']} (p50 {me['p50_ms']} ms, p99 {me['p99_ms']} ms)"),
            (
                "take p99 / trivial p99",
                f"{take['ratio_p99_take_over_trivial']:.2f} (target <= {take['target_p99_ratio']})",
            ),
            (
                "take p50 @100,000 / @1,000",
                f"{take['ratio_p50_100k_over_1k']:.2f} (target <= {take['target_p50_scaling']})",
            ),
            ("take correctness (no double assignment)", "OK" if take["correct"] else "FAILED"),
        ]
    verdicts = _load("verdicts") if "verdicts" in succeeded else None
    if verdicts:
        for name, data in verdicts["scenarios"].items():
            rows.append(
                (
                    f"verdicts {name} req/s",
                    f"{data['requests_per_s']} (p50 {data['p50_ms']} ms, p95 {data['p95_ms']} ms)",
                )
            )
        for name, target in verdicts["targets"].items():
            rows.append((f"verdicts {name}", f"{target['value']} (target {target['target']})"))
        for name, problem in verdicts["skipped"].items():
            rows.append((f"verdicts {name} SKIPPED", problem[:120]))
    worthiness = _load("eval_checkworthiness") if "eval_checkworthiness" in succeeded else None
    if worthiness:
        test = worthiness["splits"]["test"]
        for kind in ("social", "transcript", "prose"):
            if kind in test["learned"]:
                rows.append(
                    (
                        f"check-worthiness AP, {kind}, test split (cues only; digit/capital)",
                        f"{test['learned'][kind]['ap']:.3f} ({test['cues only'][kind]['ap']:.3f}; "
                        f"{test['digit/capital'][kind]['ap']:.3f})",
                    )
                )
        rows.append(("check-worthiness texts/s", f"{worthiness['sentences_per_second']:,.0f}"))
    quality = _load("eval_matching") if "eval_matching" in succeeded else None
    if quality:
        ours, bm25 = quality["ours"], quality["bm25"]
        rows += [
            ("matching MAP@5 (BM25)", f"{ours['MAP@5']} ({bm25['MAP@5']}) (target >= 0.85)"),
            ("matching MAP@5 ours/BM25", f"{quality['ratio_MAP@5']} (target >= 1.1)"),
            ("matching duplicate F1 (BM25 top-1)", f"{ours['F1']} ({bm25['F1']})"),
        ]
    speed = _load("matching") if "matching" in succeeded else None
    if speed:
        small, large = speed["small"], speed["large"]
        rows += [
            (f"matching p95 @{small['claims']:,}", f"{small['p95_ms']} ms"),
            (f"matching p95 @{large['claims']:,}", f"{large['p95_ms']} ms"),
            ("matching p95 large/small", f"{speed['p95_ratio']} (target <= 3)"),
        ]
    rows += [(f"{name} took (s)", seconds) for name, seconds in timings.items()]
    if rows:
        print_table("Summary", rows)


def _load(name: str) -> dict | None:
    path = OUT_DIR / f"{name}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main())
