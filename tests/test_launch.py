"""`make demo` / `make run` (newsmon.launch) as real processes: loopback only, a generated login, processes by
the cores, every stop signal stops everything, one launcher at a time."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from newsmon import launch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launcher_env(tmp_path: Path) -> dict:
    env = os.environ.copy()
    env.update(
        NEWSMON_AIRFLOW_HOME=str(tmp_path / "airflow_home"),
        NEWSMON_AIRFLOW_PORT=str(_free_port()),
        NEWSMON_DEMO_PORT=str(_free_port()),
        NEWSMON_DATA_DIR=str(tmp_path / "data"),
        PYTHONUNBUFFERED="1",
    )
    return env


class Launcher:
    """`python -m newsmon.launch MODE` in its own session, its output collected line by line."""

    def __init__(self, mode: str, env: dict):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsmon.launch", mode],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output:
                return
            if self.proc.poll() is not None:
                time.sleep(0.5)  # the reader may still be draining
                if text in self.output:
                    return
                pytest.fail(
                    f"launcher exited ({self.proc.returncode}) before {text!r}:\n{self.output[-3000:]}"
                )
            time.sleep(0.5)
        pytest.fail(f"no {text!r} within {timeout:.0f}s:\n{self.output[-3000:]}")

    def kill_everything(self) -> None:
        """Test clean-up whatever happened: the launcher's session and every process it started."""
        for pid in [self.proc.pid, *descendants(self.proc.pid)]:
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass


def _stat(pid: int) -> list[str] | None:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children, grandchildren ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and fields[0] != "Z":
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:  # four little-endian 32-bit words
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def _refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return False
    except OSError:
        return True


# ---------------------------------------------------------------------------------------------------- quick


def test_airflow_listens_on_loopback_with_processes_by_the_cores(tmp_path):
    env = launch.airflow_env(tmp_path / "home", 18123, tmp_path / "data")
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert env["AIRFLOW__API__PORT"] == "18123"
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:18123"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18123/execution/"
    n = launch.cores()
    assert 1 <= n <= (os.cpu_count() or 1)
    assert env["AIRFLOW__CORE__PARALLELISM"] == str(max(2, n))  # not Airflow's 32
    assert 1 <= int(env["AIRFLOW__API__WORKERS"]) <= max(1, n // 2)
    assert 1 <= int(env["AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES"]) <= max(1, n // 2)
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == str(
        tmp_path / "home" / launch.PASSWORDS_FILE
    )


def test_the_login_password_is_generated_once_and_kept_private(tmp_path):
    file = tmp_path / launch.PASSWORDS_FILE
    password = launch.login_password(file)
    assert len(password) >= 16 and password != "admin"
    assert json.loads(file.read_text()) == {"admin": password}
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert launch.login_password(file) == password  # kept across starts
    file.write_text(json.dumps({"admin": "admin"}))  # what older launchers wrote
    renewed = launch.login_password(file)
    assert renewed not in ("admin", password) and stat.S_IMODE(file.stat().st_mode) == 0o600


def test_a_second_launcher_refuses_to_start_and_names_the_pid(tmp_path):
    env = _launcher_env(tmp_path)
    home = Path(env["NEWSMON_AIRFLOW_HOME"])
    home.mkdir(parents=True)
    held = launch.single_launcher(home)  # this test process is "the running launcher"
    try:
        second = Launcher("run", env)
        try:
            second.proc.wait(timeout=120)
        finally:
            second.kill_everything()
        second.wait_for("another launcher is running", 10)
        assert second.proc.returncode != 0
        assert f"PID {os.getpid()} holds {home / 'launch.lock'}" in second.output
        assert not (home / "standalone.log").exists()  # it started nothing
    finally:
        held.close()
    assert launch.single_launcher(home)  # free again once the holder is gone


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT])
def test_hangup_or_interrupt_while_starting_stops_the_launcher_and_its_child(tmp_path, sig):
    launcher = Launcher("run", _launcher_env(tmp_path))
    try:
        launcher.wait_for("preparing the Airflow metadata database", 120)
        time.sleep(1)  # `airflow db migrate` is running now
        children = descendants(launcher.proc.pid)
        assert children, "the launcher runs `airflow db migrate` at this point"
        launcher.proc.send_signal(sig)
        assert launcher.proc.wait(timeout=120) == 0
        launcher.wait_for(f"{signal.Signals(sig).name}: stopping", 10)
        time.sleep(1)
        assert [pid for pid in children if alive(pid)] == []
    finally:
        launcher.kill_everything()


def test_stop_group_escalates_to_sigkill_for_processes_that_ignore_the_polite_signals(tmp_path, monkeypatch):
    """A process group whose members ignore SIGINT and SIGTERM (as `airflow standalone` ignores SIGTERM)."""
    stubborn = (
        "import os, signal, subprocess, sys, time\n"
        "for s in (signal.SIGINT, signal.SIGTERM): signal.signal(s, signal.SIG_IGN)\n"
        "kids = [subprocess.Popen([sys.executable, '-c', 'import signal, time\\n"
        "for s in (signal.SIGINT, signal.SIGTERM): signal.signal(s, signal.SIG_IGN)\\ntime.sleep(600)']) "
        "for _ in range(3)]\n"
        "print(' '.join(str(k.pid) for k in kids), flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", stubborn], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    kids = [int(p) for p in proc.stdout.readline().split()]
    monkeypatch.setattr(
        launch, "STOP_STEPS", ((signal.SIGINT, 1.0), (signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0))
    )
    started = time.monotonic()
    launch.stop_group(proc)
    assert proc.poll() is not None and time.monotonic() - started < 30
    deadline = time.monotonic() + 10
    while any(alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [k for k in kids if alive(k)] == [] and launch.group_members(proc.pid) == []


# ---------------------------------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_sigterm_stops_airflow_and_the_demo_server(tmp_path):
    """The finding: `kill -TERM` left `airflow standalone` and ~40 processes serving 0.0.0.0:8080."""
    env = _launcher_env(tmp_path)
    api_port, demo_port = int(env["NEWSMON_AIRFLOW_PORT"]), int(env["NEWSMON_DEMO_PORT"])
    launcher = Launcher("demo", env)
    try:
        launcher.wait_for("Airflow UI:", 900)
        # Everything listens on loopback only.
        assert listening_addresses(api_port) == {"127.0.0.1"}, launcher.output[-2000:]
        assert listening_addresses(demo_port) == {"127.0.0.1"}
        # The login is the generated one, kept where the banner says, and it works.
        passwords_file = Path(env["NEWSMON_AIRFLOW_HOME"]) / launch.PASSWORDS_FILE
        password = json.loads(passwords_file.read_text())["admin"]
        assert f"login: admin / {password}" in launcher.output and str(passwords_file) in launcher.output
        assert password != "admin" and stat.S_IMODE(passwords_file.stat().st_mode) == 0o600
        req = urllib.request.Request(
            f"http://127.0.0.1:{api_port}/auth/token",
            data=json.dumps({"username": "admin", "password": password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            assert resp.status in (200, 201) and json.loads(resp.read())["access_token"]

        tree = descendants(launcher.proc.pid)
        assert len(tree) >= 4, "standalone and its components"
        launcher.proc.send_signal(signal.SIGTERM)
        assert launcher.proc.wait(timeout=180) == 0, launcher.output[-3000:]
        assert "SIGTERM: stopping Airflow and the demo server" in launcher.output
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in tree) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = [pid for pid in tree if alive(pid)]
        assert left == [], [(pid, _stat(pid)) for pid in left]
        assert _refused(api_port) and _refused(demo_port)
    finally:
        launcher.kill_everything()


def test_the_spike_digest_waits_for_the_days_articles_in_the_analyst_file(tmp_path):
    """The launcher reads the analyst file through newsmon.reader: no file, no day, or a day of articles."""
    from datetime import date, timedelta

    from helpers_digest import make_analyst_db

    db = tmp_path / "newsmon.duckdb"
    assert not launch._day_has_articles(db, "2026-03-10")  # not published yet
    make_analyst_db(db, date(2026, 3, 10), history_days=5)
    assert launch._day_has_articles(db, "2026-03-10")
    assert not launch._day_has_articles(db, str(date(2026, 3, 10) + timedelta(days=1)))
    assert "duckdb.connect" not in (Path(launch.__file__)).read_text(encoding="utf-8")
