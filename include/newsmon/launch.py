"""`make demo` and `make run`: Airflow standalone with a project-local home, the newsmon DAGs unpaused.

demo: also serves the bundled sample corpus on loopback and points the feed list at it (works offline).
run:  uses the real feed list (include/newsmon/config/feeds.yaml or $NEWSMON_FEEDS).
Both trigger the first ingest run, print the UI address with its login, and stop cleanly on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAG_IDS = ("news_ingest", "news_daily", "news_digest")
POOL = "newsmon_warehouse"


def airflow_env(home: Path, port: int, data_dir: Path) -> dict:
    env = os.environ.copy()
    base = f"http://127.0.0.1:{port}"
    # standalone starts its components as `airflow ...` commands: the venv's bin must come first on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=base,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base}/execution/",
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="15",
        AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL="15",
        NEWSMON_DATA_DIR=str(data_dir),
    )
    return env


def _airflow(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "airflow", *args], env=env, check=check, capture_output=True, text=True
    )


def _wait_for_api(port: int, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/api/v2/monitor/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"airflow standalone exited early (status {proc.returncode}); see its log above")
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(2)
    raise SystemExit(f"the Airflow API server did not answer on {url} within {timeout:.0f}s")


def _trigger_first_run(env: dict, timeout: float = 180) -> None:
    """Trigger news_ingest once the DAG processor has parsed it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = _airflow(env, "dags", "trigger", "news_ingest", check=False)
        if result.returncode == 0:
            print("newsmon: triggered the first news_ingest run")
            return
        time.sleep(5)
    print("newsmon: could not trigger news_ingest yet; it runs on its schedule (or trigger it in the UI)")


def _digest_spike_day_when_ready(env: dict, data_dir: Path, spike_day: str, timeout: float = 900) -> None:
    """The demo's spike lies a few days back; once the daily tables exist, send that day's digest too."""
    analyst_db = data_dir / "newsmon.duckdb"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if analyst_db.exists() and _day_has_articles(analyst_db, spike_day):
            conf = json.dumps({"day": spike_day})
            if _airflow(env, "dags", "trigger", "news_digest", "--conf", conf, check=False).returncode == 0:
                print(
                    f"newsmon: triggered the digest for the spike day {spike_day} (see {data_dir / 'outbox'})"
                )
            return
        time.sleep(10)


def _day_has_articles(db: Path, day: str) -> bool:
    """True once the daily tables hold the ingested articles of `day` (not just an empty first recompute)."""
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            row = con.execute(
                "SELECT articles FROM daily_total WHERE day = CAST(? AS DATE)", [day]
            ).fetchone()
            return bool(row and row[0] > 0)
        finally:
            con.close()
    except duckdb.Error:  # not published yet, or no daily tables yet
        return False


def main(mode: str) -> int:
    home = ROOT / "airflow_home"
    home.mkdir(exist_ok=True)
    data_dir = Path(os.environ.get("NEWSMON_DATA_DIR") or ROOT / "data").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("NEWSMON_AIRFLOW_PORT", "8080"))
    env = airflow_env(home, port, data_dir)
    # A fixed local login for the demo; the simple auth manager reads its passwords from this file.
    (home / "simple_auth_manager_passwords.json.generated").write_text(json.dumps({"admin": "admin"}))

    server = None
    if mode == "demo":
        from newsmon.demo.server import DemoServer

        server = DemoServer(host="127.0.0.1", port=int(os.environ.get("NEWSMON_DEMO_PORT", "8765")))
        server.__enter__()
        feeds_file = data_dir / "demo-feeds.yaml"
        server.write_feeds_yaml(feeds_file)
        # The demo's outlets all live on one loopback server of ours: no need to space requests politely.
        env.update(NEWSMON_FEEDS=str(feeds_file), NEWSMON_ALLOW_HOSTS=server.url, NEWSMON_HOST_SPACING="0")
        print(f"newsmon: demo corpus served at {server.url} (feeds: {feeds_file})")

    print("newsmon: preparing the Airflow metadata database ...")
    _airflow(env, "db", "migrate")
    _airflow(env, "pools", "set", POOL, "1", "one writer for the DuckDB warehouse")
    log_file = home / "standalone.log"
    print(f"newsmon: starting airflow standalone (log: {log_file})")
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow", "standalone"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_api(port, proc)
        _trigger_first_run(env)
        if server is not None:
            spike_day = str(server.corpus.spike_day)
            threading.Thread(
                target=_digest_spike_day_when_ready, args=(env, data_dir, spike_day), daemon=True
            ).start()
        print(
            f"\n  Airflow UI:  http://127.0.0.1:{port}   login: admin / admin\n"
            f"  News monitor page: Browse > News monitor (or http://127.0.0.1:{port}/newsmon/)\n"
            f"  Analyst database:  {data_dir / 'newsmon.duckdb'}  (try: .venv/bin/newsmon trends)\n"
            "  Ctrl-C stops everything.\n"
        )
        while proc.poll() is None:
            time.sleep(1)
        return proc.returncode or 0
    except KeyboardInterrupt:
        print("\nnewsmon: stopping ...")
        return 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if server is not None:
            server.__exit__(None, None, None)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("demo", "run"):
        print("usage: python -m newsmon.launch demo|run", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
