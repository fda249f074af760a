"""Small measurement helpers: percentiles, timers, peak memory of children."""

import math
import os
import platform
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


def run_meta() -> dict:
    """When and where a run happened; other processes on the machine skew every figure,
    so the load average is recorded too."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0-100) of a non-empty list; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def summarize_ms(seconds: list[float]) -> dict:
    """p50/p95/p99/max/mean in milliseconds, plus the count."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else 0.0,
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else 0.0,
    }


@dataclass
class StepResult:
    """One subprocess step: exit code, wall time, peak RSS, captured output tail."""

    command: list[str]
    returncode: int
    seconds: float
    peak_rss_mb: float
    output_tail: str
    cpu_seconds: float = 0.0  # user + system of the process and its waited-for children

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def as_dict(self) -> dict:
        return {
            "command": " ".join(self.command),
            "returncode": self.returncode,
            "seconds": round(self.seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "output_tail": self.output_tail,
        }


def run_step(
    command: list[str], *, env: dict, cwd: str, log_path: str, timeout: float | None = None
) -> StepResult:
    """Run a command to completion; wall time and the peak RSS of it and its children.

    The peak is the largest ``VmHWM`` (the kernel's resident high-water mark, per
    process) seen while it runs among the process and its descendants. ``ru_maxrss``
    from ``os.wait4`` would not do: Linux carries the forking process's peak into the
    child across exec, so every child of a large benchmark process reported that.
    Output goes to ``log_path``; its tail is kept.
    """
    start = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        deadline = None if timeout is None else start + timeout
        peak_mb = 0.0
        while True:
            peak_mb = max(peak_mb, tree_peak_rss_mb(proc.pid))
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.kill()
                pid, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(log_path, "rb") as log:
        tail = log.read()[-1500:].decode("utf-8", "replace")
    return StepResult(
        command,
        proc.returncode,
        seconds,
        peak_mb or rusage.ru_maxrss / 1024,  # (kilobytes) without /proc
        tail,
        cpu_seconds=rusage.ru_utime + rusage.ru_stime,
    )


def tree_peak_rss_mb(pid: int) -> float:
    """The largest resident high-water mark (``VmHWM``, MB) of ``pid`` and its
    descendants now; 0 when /proc cannot tell (the process is gone, or not Linux)."""
    peak, pending, seen = 0.0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)  # kB
                break
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return peak


def dir_size_mb(path) -> float:
    """Total size of the files under ``path`` in MB (0 when missing)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return round(total / 1e6, 1)
