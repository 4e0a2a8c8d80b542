"""Fault injection for bench/faults.py, loaded by every Python process of a pipeline run under test.

bench/faults.py puts this folder first on PYTHONPATH, so `site` imports it at start-up in the `newsmon` process
and in every spawn worker it starts; production code has no hooks. Nothing happens unless NEWSMON_FAULT_MODE is
set. A profile function (sys.setprofile and threading.setprofile) watches calls of named functions:

    module:qualname                      a Python function, e.g. newsmon.warehouse:stage_batch
    c:name<module:qualname               a C function called from a Python one, e.g. c:replace<newsmon.warehouse:stage_batch
    ...<module:qualname                  only when called from that function (Python callees too)
    ...@return                           when the call returns instead of when it starts

Modes (NEWSMON_FAULT_MODE):
    count  count the calls of every point in NEWSMON_FAULT_POINTS (one per line); each process writes
           count-<pid>.json to NEWSMON_FAULT_DIR at exit
    kill   on the NEWSMON_FAULT_NTH call of NEWSMON_FAULT_POINT in any one process, write fired-<pid>.json and
           send NEWSMON_FAULT_SIGNAL (KILL or TERM) to the whole process group: the run and its workers
    fill   on that call, fill the disk holding NEWSMON_FAULT_FILL_PATH with a ballast file there, leaving
           NEWSMON_FAULT_FILL_LEAVE bytes free, and carry on (the harness deletes the ballast later)

SIGTERM is turned into SystemExit(143) in every process, as Airflow turns it into an exception in the task:
`finally` blocks and `except BaseException` clean-ups run, as they would when a task is stopped.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading


def _parse(spec: str) -> tuple[str, str, str | None, str]:
    """'mod:qual<cmod:cqual@return' -> ('mod:qual', 'call'|'return', 'cmod:cqual'|None, spec)."""
    spec = spec.strip()
    body, _, when = spec.partition("@")
    target, _, caller = body.partition("<")
    return target, (when or "call"), (caller or None), spec


class _Points:
    def __init__(self, specs: list[str]):
        self.points = [_parse(s) for s in specs if s.strip()]
        self.counts = {p[3]: 0 for p in self.points}
        self._by_code: dict = {}
        self._names: dict = {}
        self.lock = threading.Lock()

    def name_of(self, code, module: str) -> str:
        key = self._names.get(code)
        if key is None:
            key = self._names[code] = f"{module}:{code.co_qualname}"
        return key

    def hits(self, frame, event: str, arg) -> list[str]:
        if event in ("call", "return"):
            target = self.name_of(frame.f_code, frame.f_globals.get("__name__", "?"))
            caller_frame = frame.f_back
        else:  # c_call / c_return / c_exception: `arg` is the C function, `frame` its caller
            target = "c:" + getattr(arg, "__name__", "?")
            caller_frame = frame
        when = "call" if event in ("call", "c_call") else "return"
        found = []
        for tgt, w, caller, spec in self.points:
            if tgt != target or w != when:
                continue
            if caller is not None:
                if caller_frame is None:
                    continue
                name = self.name_of(caller_frame.f_code, caller_frame.f_globals.get("__name__", "?"))
                if name != caller:
                    continue
            found.append(spec)
        return found


def _targets(points: _Points) -> set[str]:
    return {p[0] for p in points.points}


def _install(points: _Points, on_hit) -> None:
    wanted = _targets(points)
    wanted_c = {t[2:] for t in wanted if t.startswith("c:")}
    wanted_qual = {t.split(":", 1)[1] for t in wanted if not t.startswith("c:")}

    def profile(frame, event, arg):
        # Cheap filters first: this runs on every call and return of every thread.
        if event == "call" or event == "return":
            if frame.f_code.co_qualname not in wanted_qual:
                return
        elif event == "c_call" or event == "c_return":
            if getattr(arg, "__name__", None) not in wanted_c:
                return
        else:
            return
        for spec in points.hits(frame, event, arg):
            on_hit(spec)

    threading.setprofile(profile)
    sys.setprofile(profile)


def _fault_dir() -> str:
    return os.environ["NEWSMON_FAULT_DIR"]


def _write_json(name: str, data: dict) -> None:
    path = os.path.join(_fault_dir(), name)
    with open(path + ".tmp", "w") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(path + ".tmp", path)


def _count_mode() -> None:
    points = _Points(os.environ.get("NEWSMON_FAULT_POINTS", "").splitlines())

    def on_hit(spec: str) -> None:
        with points.lock:
            points.counts[spec] += 1

    atexit.register(lambda: _write_json(f"count-{os.getpid()}.json", points.counts))
    _install(points, on_hit)


def _ballast(path: str, leave: int) -> int:
    """Fill the file system holding `path` until `leave` bytes are free; returns the bytes written."""
    stat = os.statvfs(os.path.dirname(path))
    size = max(0, stat.f_bavail * stat.f_frsize - leave)
    written = 0
    with open(path, "wb") as fh:
        chunk = b"\0" * (1 << 20)
        while written < size:
            try:
                written += fh.write(chunk[: min(len(chunk), size - written)])
            except OSError:
                break
        try:
            fh.flush()
        except OSError:
            pass
    return written


def _fire_mode(mode: str) -> None:
    point = os.environ["NEWSMON_FAULT_POINT"]
    nth = int(os.environ.get("NEWSMON_FAULT_NTH", "1"))
    points = _Points([point])
    fired = threading.Event()

    def on_hit(spec: str) -> None:
        with points.lock:
            points.counts[spec] += 1
            if points.counts[spec] != nth or fired.is_set():
                return
            fired.set()
        record = {"point": spec, "nth": nth, "pid": os.getpid(), "mode": mode}
        if mode == "fill":
            leave = int(os.environ.get("NEWSMON_FAULT_FILL_LEAVE", "0"))
            record["ballast_bytes"] = _ballast(os.environ["NEWSMON_FAULT_FILL_PATH"], leave)
            _write_json(f"fired-{os.getpid()}.json", record)
            return
        sig = signal.SIGKILL if os.environ.get("NEWSMON_FAULT_SIGNAL", "KILL") == "KILL" else signal.SIGTERM
        record["signal"] = sig.name
        _write_json(f"fired-{os.getpid()}.json", record)
        os.killpg(os.getpgrp(), sig)

    _install(points, on_hit)


def _terminate(signum, frame):
    raise SystemExit(143)


def _main() -> None:
    mode = os.environ.get("NEWSMON_FAULT_MODE")
    if not mode:
        return
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    if mode == "count":
        _count_mode()
    elif mode in ("kill", "fill"):
        _fire_mode(mode)
    else:
        raise SystemExit(f"NEWSMON_FAULT_MODE={mode!r}: expected count, kill or fill")


_main()
