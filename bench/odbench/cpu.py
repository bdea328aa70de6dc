"""CPU accounting: the server process, the bench database's PostgreSQL backends and the whole machine,
from /proc; and running a load generator to completion while measuring its own CPU."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .common import die

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def postgres_cpu(dbname: str | None) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving `dbname` (their process title names it)."""
    out = {}
    if not dbname:
        return out
    marker = f" {dbname} ".encode()
    for stat in glob.glob("/proc/[0-9]*/stat"):
        pid = stat.split("/")[2]
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if not cmdline.startswith(b"postgres: ") or marker not in cmdline:
                continue
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(pid)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]  # idle + iowait
    total = sum(parts[:8])  # guest time is already part of user
    return total - idle, total


class CpuMeter:
    """CPU used by the server process, the bench database's PostgreSQL backends alive throughout
    (the server's pool), and the whole machine, between start() and stop()."""

    def __init__(self, server_pid: int | None, dbname: str | None = None):
        self.server_pid = server_pid
        self.dbname = dbname

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.server0 = proc_cpu_seconds(self.server_pid) if self.server_pid else None
        self.pg0 = postgres_cpu(self.dbname)
        self.machine0 = machine_ticks()

    def stop(self) -> dict:
        wall = time.monotonic() - self.t0
        server1 = proc_cpu_seconds(self.server_pid) if self.server_pid else None
        pg1 = postgres_cpu(self.dbname)
        busy1, total1 = machine_ticks()
        busy0, total0 = self.machine0
        ncpu = os.cpu_count() or 1
        out = {"wall_s": round(wall, 3), "cpus": ncpu}
        out["machine_busy_cores"] = round((busy1 - busy0) / max(total1 - total0, 1) * ncpu, 2)
        if self.server0 is not None and server1 is not None:
            out["server_cpu_s"] = round(server1 - self.server0, 2)
        elif self.server_pid:
            die(f"the server (pid {self.server_pid}) is gone")
        out["postgres_cpu_s"] = round(sum(pg1[p] - self.pg0[p] for p in pg1 if p in self.pg0), 2)
        return out


def run_measured(argv: list[str], env: dict, stdout_path: Path, finished=None) -> tuple[int, float]:
    """Runs a load generator to completion; returns (exit status, its own CPU seconds). When
    `finished()` becomes true the generator is interrupted (SIGINT: wrk then reports as usual)."""
    with open(stdout_path, "wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        interrupted = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if finished else 0)
            if pid:
                break
            if not interrupted and finished():
                proc.send_signal(signal.SIGINT)
                interrupted = True
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def cmd_load(a) -> None:
    """How busy the machine is before the run (other people's tests skew every number)."""
    busy0, total0 = machine_ticks()
    time.sleep(a.seconds)
    busy1, total1 = machine_ticks()
    cores = round((busy1 - busy0) / max(total1 - total0, 1) * (os.cpu_count() or 1), 2)
    print(cores)
    if cores > 0.3:
        print(f"bench: warning: the machine is already busy ({cores} cores) before the benchmark starts;"
              " the numbers will be lower than on an idle machine", file=sys.stderr)
