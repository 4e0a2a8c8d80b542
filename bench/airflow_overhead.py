"""Airflow overhead: one news_ingest run under `airflow standalone` against `newsmon run --once`, same corpus.

Both ingest the demo corpus (newsmon.demo.server.DemoServer on loopback) into fresh data folders, twice: a first
run that fetches everything and a repeat run in which every feed answers 304 Not Modified, so the repeat run is
almost pure overhead. The Airflow side is measured from the REST API call that triggers the run to the moment the
API reports it successful (polled every 0.25 s); the in-process side is the wall time of the `newsmon run --once`
command. The difference is what the scheduler, the task supervisors and the task processes add per run. The
task instances' own durations show where the rest goes (queueing between tasks, process start, DAG parsing).

    .venv/bin/python bench/airflow_overhead.py [--port 28080] [--keep]

Airflow runs from a temporary AIRFLOW_HOME on non-default ports; news_ingest gets a schedule with no date before
2028 (so only our triggers run it) and is the only DAG unpaused.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "include"))

from newsmon.demo.server import DemoServer  # noqa: E402

RESULTS = BENCH / "results" / "airflow_overhead.json"
DAG_ID = "news_ingest"
NEVER = "0 0 29 2 *"  # 29 February: no date between START_DATE and 2028, so no scheduled run
POLL = 0.25
USER, PASSWORD = "bench", "bench-pw"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(data_dir: Path, feeds_file: Path) -> dict:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "NEWSMON_"))
    }
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        NEWSMON_DATA_DIR=str(data_dir),
        NEWSMON_FEEDS=str(feeds_file),
        NEWSMON_ALLOW_HOSTS="127.0.0.1/32",  # a closed setup: the demo server only
        NEWSMON_HOST_SPACING="0",
        NEWSMON_NOTIFY="outbox",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def airflow_env(home: Path, port: int, data_dir: Path, feeds_file: Path) -> dict:
    """As newsmon.launch sets it up, on our own ports, with the DAGs paused until we unpause news_ingest."""
    base = f"http://127.0.0.1:{port}"
    env = base_env(data_dir, feeds_file)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{USER}:admin",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=base,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base}/execution/",
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(16),
        AIRFLOW__API__SECRET_KEY=secrets.token_hex(16),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(_free_port()),
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="15",
        NEWSMON_INGEST_SCHEDULE=NEVER,
        NEWSMON_DAILY_SCHEDULE=NEVER,
    )
    return env


# ---------------------------------------------------------------------------------------------------- in-process


def inprocess_runs(env: dict, n: int) -> list[dict]:
    """`newsmon run --once` n times on one data folder (the first fetches everything, then repeats)."""
    runs = []
    for _ in range(n):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "newsmon.cli", "run", "--once", "--no-progress"],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        wall = time.perf_counter() - started
        if out.returncode != 0:
            raise SystemExit(f"newsmon run --once failed ({out.returncode}):\n{out.stderr[-3000:]}")
        runs.append({"wall_s": round(wall, 2), "summary": out.stdout.strip().splitlines()[1:3]})
    return runs


# ---------------------------------------------------------------------------------------------------- Airflow


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 30) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, {"detail": raw.decode(errors="replace")[:500]}

    def login(self) -> None:
        status, body = self.call("POST", "/auth/token", {"username": USER, "password": PASSWORD})
        if status not in (200, 201):
            raise SystemExit(f"cannot log in to the Airflow API: {status} {body}")
        self.token = body["access_token"]


def wait_until(what: str, check, timeout: float, proc: subprocess.Popen, log: Path, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"airflow standalone exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(every)
    raise SystemExit(
        f"timed out after {timeout:.0f} s waiting for {what}; log {log}:\n{log.read_text()[-3000:]}"
    )


def _parse_time(value: str | None) -> float | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None


def airflow_run(api: Api, proc: subprocess.Popen, log: Path, timeout: float) -> dict:
    """Trigger news_ingest and wait for its end; trigger-to-success time and the task instances' own times."""
    started_wall = time.time()
    started = time.perf_counter()
    status, run = api.call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": {}})
    if status not in (200, 201):
        raise SystemExit(f"trigger failed: {status} {run}")
    run_id = run["dag_run_id"]

    def finished():
        _, body = api.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
        return body if body.get("state") in ("success", "failed") else None

    final = wait_until(f"run {run_id}", finished, timeout, proc, log, every=POLL)
    wall = time.perf_counter() - started
    _, tis = api.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances?limit=100")
    tasks = []
    for ti in tis.get("task_instances", []):
        start, end = _parse_time(ti.get("start_date")), _parse_time(ti.get("end_date"))
        queued = _parse_time(ti.get("queued_when"))
        tasks.append(
            {
                "task": ti["task_id"] + (f"[{ti['map_index']}]" if ti.get("map_index", -1) >= 0 else ""),
                "state": ti.get("state"),
                "duration_s": round(end - start, 2) if start and end else None,
                "start_offset_s": round(start - started_wall, 2) if start else None,
                "end_offset_s": round(end - started_wall, 2) if end else None,
                "queued_to_start_s": round(start - queued, 2) if start and queued else None,
            }
        )
    tasks.sort(key=lambda t: (t["start_offset_s"] or 0, t["task"]))
    return {
        "run_id": run_id,
        "state": final["state"],
        "trigger_to_end_s": round(wall, 2),
        "tasks": tasks,
        "xcom_bytes": xcom_sizes(api, run_id),
    }


def xcom_sizes(api: Api, run_id: str) -> dict[str, int]:
    """Bytes of each task's return value as JSON: the DAG passes paths and counts, never articles."""
    status, body = api.call(
        "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/~/xcomEntries?limit=100"
    )
    if status != 200:
        return {}
    sizes = {}
    for entry in body.get("xcom_entries", []):
        task, index = entry["task_id"], entry.get("map_index", -1)
        path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task}/xcomEntries/{entry['key']}"
        status, value = api.call("GET", f"{path}?map_index={index}")
        if status == 200:
            key = task + (f"[{index}]" if index >= 0 else "")
            sizes[key] = len(json.dumps(value.get("value")))
    return sizes


def critical_path_s(tasks: list[dict]) -> float:
    """Time some task of the run was executing (union of the task intervals)."""
    spans = sorted((t["start_offset_s"], t["end_offset_s"]) for t in tasks if t["start_offset_s"] is not None)
    busy, end = 0.0, None
    for s, e in spans:
        if e is None:
            continue
        if end is None or s > end:
            busy += e - s
            end = e
        elif e > end:
            busy += e - end
            end = e
    return round(busy, 2)


def standalone(home: Path, env: dict, port: int, runs: int, timeout: float) -> tuple[list[dict], dict]:
    log = home / "standalone.log"
    setup_started = time.perf_counter()
    for args in (
        ("db", "migrate"),
        ("pools", "set", "newsmon_warehouse", "1", "one writer for the warehouse"),
    ):
        out = subprocess.run(
            [sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True
        )
        if out.returncode != 0:
            raise SystemExit(f"airflow {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    (home / "simple_auth_manager_passwords.json.generated").write_text(json.dumps({USER: PASSWORD}))
    with open(log, "ab") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow", "standalone"],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        api = Api(f"http://127.0.0.1:{port}")
        wait_until(
            "the API server", lambda: api.call("GET", "/api/v2/monitor/health")[0] == 200, 300, proc, log
        )
        api.login()
        wait_until(
            f"{DAG_ID} to be parsed",
            lambda: api.call("GET", f"/api/v2/dags/{DAG_ID}")[0] == 200,
            300,
            proc,
            log,
            2,
        )
        status, body = api.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        if status != 200:
            raise SystemExit(f"cannot unpause {DAG_ID}: {status} {body}")
        ready = time.perf_counter() - setup_started
        results = [airflow_run(api, proc, log, timeout) for _ in range(runs)]
        return results, {"startup_s": round(ready, 1)}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# ---------------------------------------------------------------------------------------------------- report


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=28080, help="Airflow API server port")
    ap.add_argument("--runs", type=int, default=2, help="runs on each side: the first, then repeats")
    ap.add_argument("--timeout", type=float, default=900, help="seconds one Airflow run may take")
    ap.add_argument("--keep", action="store_true", help="keep the temporary Airflow home (its logs)")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is taken; pick another with --port")

    tmp = Path(tempfile.mkdtemp(prefix="newsmon-airflow-bench-"))
    try:
        with DemoServer(slow_seconds=2) as demo:
            feeds = demo.write_feeds_yaml(tmp / "feeds.yaml")
            print(
                f"demo corpus: {len(demo.corpus.articles)} articles, {len(demo.corpus.feeds)} feeds at {demo.url}"
            )
            inproc = inprocess_runs(base_env(tmp / "data-inprocess", feeds), args.runs)
            for i, r in enumerate(inproc):
                print(f"newsmon run --once #{i + 1}: {r['wall_s']:.1f} s  {r['summary']}", flush=True)
            home = tmp / "airflow"
            home.mkdir()
            env = airflow_env(home, args.port, tmp / "data-airflow", feeds)
            flows, setup = standalone(home, env, args.port, args.runs, args.timeout)
        for i, r in enumerate(flows):
            print(
                f"news_ingest #{i + 1}: {r['state']} in {r['trigger_to_end_s']:.1f} s (tasks busy "
                f"{critical_path_s(r['tasks']):.1f} s)",
                flush=True,
            )
            for t in r["tasks"]:
                print(
                    f"    {t['task']:<22} start +{t['start_offset_s']:>6} s  took {t['duration_s']:>6} s  "
                    f"queued->start {t['queued_to_start_s']} s"
                )
        result = report(inproc, flows, setup, args)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result["figures"], indent=1))
    print(f"wrote {out}")
    return 0


def report(inproc: list[dict], flows: list[dict], setup: dict, args) -> dict:
    figures: dict = {"airflow_startup_s": setup["startup_s"]}
    labels = ["first"] + [f"repeat{i}" if i > 1 else "repeat" for i in range(1, len(flows))]
    for label, mine, theirs in zip(labels, inproc, flows, strict=True):
        figures[f"{label}_inprocess_s"] = mine["wall_s"]
        figures[f"{label}_airflow_s"] = theirs["trigger_to_end_s"]
        figures[f"{label}_airflow_tasks_busy_s"] = critical_path_s(theirs["tasks"])
        figures[f"{label}_overhead_s"] = round(theirs["trigger_to_end_s"] - mine["wall_s"], 2)
        # no task running: the scheduler noticing the trigger, finished tasks and freed dependencies
        figures[f"{label}_airflow_idle_s"] = round(
            theirs["trigger_to_end_s"] - critical_path_s(theirs["tasks"]), 2
        )
        figures[f"{label}_ratio"] = round(theirs["trigger_to_end_s"] / mine["wall_s"], 2)
    first = flows[0]
    figures["mapped_fetch_tasks"] = sum(1 for t in first["tasks"] if t["task"].startswith("fetch_shard["))
    figures["tasks_per_run"] = len(first["tasks"])
    if first["xcom_bytes"]:
        figures["largest_xcom_bytes"] = max(first["xcom_bytes"].values())
    ok = all(f["state"] == "success" for f in flows)
    notes = [
        "Same corpus (the demo's 10 feeds on one loopback server), fresh data folders on both sides; the repeat run "
        "finds every feed not modified, so it is almost pure orchestration.",
        "Airflow: `airflow standalone` (LocalExecutor, SQLite metadata) with its default scheduler settings; "
        "timed from the REST trigger call to the API reporting the run's end (polled every 0.25 s). In-process: "
        "the wall time of `newsmon run --once`, Python start-up included.",
        "news_ingest also runs feed_health_alerts and quality_gates after the load; `newsmon run --once` computes "
        "the daily aggregates instead (news_daily's work). Task durations are in `runs` below.",
        "Where the overhead goes: the first task of a run pays the task process's start (Airflow, the DAG file and "
        "newsmon imported: plan_shards takes seconds on the first run, a fraction of one after), and between "
        "dependent tasks the scheduler takes about a second to notice and start the next (airflow_idle_s per run). "
        "With one run every 30 minutes, the added seconds per run are under 1% of the interval.",
        f"Lean DAG: {figures['mapped_fetch_tasks']} mapped fetch task here (plan_shards keeps a host in one shard and "
        "the demo corpus is one host; settings.shards caps it, 4 by default), "
        + (
            f"largest XCom {figures.get('largest_xcom_bytes')} bytes (paths and counts only)."
            if first["xcom_bytes"]
            else "XComs are paths and counts."
        ),
    ]
    return {
        "title": "Airflow overhead: news_ingest under airflow standalone vs newsmon run --once",
        "command": ".venv/bin/python bench/airflow_overhead.py",
        "figures": figures,
        "goals": [{"goal": "every news_ingest run succeeds under airflow standalone", "met": ok}],
        "notes": notes,
        "runs": {"inprocess": inproc, "airflow": flows},
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
