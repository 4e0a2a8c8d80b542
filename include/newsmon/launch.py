"""`make demo` and `make run`: Airflow standalone with a project-local home, the newsmon DAGs unpaused.

demo: also serves the bundled sample corpus on loopback and points the feed list at it (works offline).
run:  uses the real feed list (include/newsmon/config/feeds.yaml or $NEWSMON_FEEDS).
Both trigger the first ingest run and print the UI address with its login.

Safe by default: everything listens on 127.0.0.1; the admin password is generated on first start and kept in
the Airflow home (mode 600); executor and parser processes follow the machine's cores, not Airflow's defaults
(32 workers). SIGINT, SIGTERM and SIGHUP all stop Airflow's whole process group and the demo server, and only
one launcher runs per Airflow home at a time.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAG_IDS = ("news_ingest", "news_daily", "news_digest")
POOL = "newsmon_warehouse"
HOST = "127.0.0.1"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long each step of stopping may take: SIGINT lets `airflow standalone` stop its components itself
# (it handles only Ctrl-C), then SIGTERM for what is left of its process group, then SIGKILL.
STOP_STEPS = ((signal.SIGINT, 45.0), (signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0))
PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"


class Stopped(Exception):
    """A stop signal arrived; raised in the main thread so every `finally` runs."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum, frame) -> None:
    raise Stopped(signum)


def cores() -> int:
    """CPUs this process may use (a container or taskset may allow fewer than the machine has)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def airflow_env(home: Path, port: int, data_dir: Path, passwords_file: Path | None = None) -> dict:
    env = os.environ.copy()
    base = f"http://{HOST}:{port}"
    n = cores()
    # standalone starts its components as `airflow ...` commands: the venv's bin must come first on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",  # user admin with role admin
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords_file or home / PASSWORDS_FILE),
        # Loopback only: the UI, the REST API and the task execution API, all on the same address.
        AIRFLOW__API__HOST=HOST,
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=base,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base}/execution/",
        # Processes by the cores: LocalExecutor runs `parallelism` worker processes (Airflow's default is 32).
        AIRFLOW__CORE__PARALLELISM=str(max(2, n)),
        AIRFLOW__API__WORKERS=str(max(1, min(4, n // 2))),
        AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES=str(max(1, min(4, n // 2))),
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="15",
        AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL="15",
        NEWSMON_DATA_DIR=str(data_dir),
    )
    return env


def login_password(passwords_file: Path) -> str:
    """The admin password: generated on first start (or when it is still the old fixed 'admin'), then kept."""
    try:
        existing = json.loads(passwords_file.read_text()).get("admin")
    except (OSError, ValueError, AttributeError):
        existing = None
    if isinstance(existing, str) and existing and existing != "admin":
        return existing
    password = secrets.token_urlsafe(12)
    passwords_file.unlink(missing_ok=True)
    fd = os.open(passwords_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"admin": password}, fh)
    return password


def single_launcher(home: Path):
    """Hold the launcher lock of this Airflow home, or exit naming the PID that holds it."""
    lock_path = home / "launch.lock"
    fh = open(lock_path, "a+")  # noqa: SIM115 (held for the launcher's lifetime)
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown"
        fh.close()
        raise SystemExit(
            f"newsmon: another launcher is running (PID {holder} holds {lock_path}); stop it first"
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel whether anyone is left
        try:
            os.killpg(pgid, 0)
            return [pgid]
        except ProcessLookupError:
            return []
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state, ppid, pgrp, ...
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def stop_group(proc: subprocess.Popen) -> None:
    """Stop `proc` and every process of its group: SIGINT, SIGTERM, then SIGKILL for whatever is left."""
    pgid = proc.pid
    for sig, patience in STOP_STEPS:
        proc.poll()  # reap it once it exits, so it does not count as a member
        if not group_members(pgid):
            break
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            proc.poll()
            if not group_members(pgid):
                break
            time.sleep(0.2)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _airflow(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "airflow", *args], env=env, check=check, capture_output=True, text=True
    )


def _wait_for_api(port: int, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://{HOST}:{port}/api/v2/monitor/health"
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

    from newsmon import reader

    try:
        con = reader.open_analyst(db)
        try:
            return (reader.day_total(con, date.fromisoformat(day)).get("articles") or 0) > 0
        finally:
            con.close()
    except (duckdb.Error, reader.ReaderError):  # not published yet, or no daily tables yet
        return False


def airflow_home() -> Path:
    return Path(os.environ.get("NEWSMON_AIRFLOW_HOME") or ROOT / "airflow_home").resolve()


def main(mode: str) -> int:
    home = airflow_home()
    home.mkdir(parents=True, exist_ok=True)
    lock = single_launcher(home)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_stopped)
    server = proc = None
    try:
        data_dir = Path(os.environ.get("NEWSMON_DATA_DIR") or ROOT / "data").resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        port = int(os.environ.get("NEWSMON_AIRFLOW_PORT", "8080"))
        passwords_file = home / PASSWORDS_FILE
        password = login_password(passwords_file)
        env = airflow_env(home, port, data_dir, passwords_file)

        if mode == "demo":
            from newsmon.demo.server import DemoServer

            server = DemoServer(host=HOST, port=int(os.environ.get("NEWSMON_DEMO_PORT", "8765")))
            server.__enter__()
            feeds_file = data_dir / "demo-feeds.yaml"
            server.write_feeds_yaml(feeds_file)
            # The demo's outlets all live on one loopback server of ours: exempt exactly that origin, and no
            # need to space requests politely.
            env.update(
                NEWSMON_FEEDS=str(feeds_file), NEWSMON_ALLOW_HOSTS=server.url, NEWSMON_HOST_SPACING="0"
            )
            print(f"newsmon: demo corpus served at {server.url} (feeds: {feeds_file})", flush=True)

        print("newsmon: preparing the Airflow metadata database ...", flush=True)
        _airflow(env, "db", "migrate")
        _airflow(env, "pools", "set", POOL, "1", "one writer for the DuckDB warehouse")
        log_file = home / "standalone.log"
        print(f"newsmon: starting airflow standalone (log: {log_file})", flush=True)
        with open(log_file, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "airflow", "standalone"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_for_api(port, proc)
        _trigger_first_run(env)
        if server is not None:
            spike_day = str(server.corpus.spike_day)
            threading.Thread(
                target=_digest_spike_day_when_ready, args=(env, data_dir, spike_day), daemon=True
            ).start()
        print(
            f"\n  Airflow UI:  http://{HOST}:{port}   login: admin / {password}\n"
            f"  (the password is kept in {passwords_file}; delete the file for a new one)\n"
            f"  News monitor page: Browse > News monitor (or http://{HOST}:{port}/newsmon/)\n"
            f"  Analyst database:  {data_dir / 'newsmon.duckdb'}  (try: .venv/bin/newsmon trends)\n"
            f"  Ctrl-C (or SIGTERM/SIGHUP to PID {os.getpid()}) stops everything.\n",
            flush=True,
        )
        while proc.poll() is None:
            time.sleep(1)
        return proc.returncode or 0
    except Stopped as stop:
        print(f"\nnewsmon: {stop}: stopping Airflow and the demo server ...", flush=True)
        return 0
    finally:
        for sig in STOP_SIGNALS:  # let the clean-up finish; each of its steps is bounded
            signal.signal(sig, signal.SIG_IGN)
        if proc is not None:
            stop_group(proc)
        if server is not None:
            server.__exit__(None, None, None)
        lock.close()


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("demo", "run"):
        print("usage: python -m newsmon.launch demo|run", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
