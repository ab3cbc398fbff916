"""What the benchmarks read about processes from /proc (Linux): memory, CPU time, children."""

from __future__ import annotations

import contextlib
import os
import resource
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads)."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK


def reaped_children_cpu(pid: int) -> float:
    """cutime + cstime: the CPU of the children the process has waited for."""
    fields = _stat_fields(pid)
    return (int(fields[13]) + int(fields[14])) / _TICK


def _field_kb(path: str, name: str) -> int:
    with contextlib.suppress(OSError), open(path) as status:
        for line in status:
            if line.startswith(name):
                return int(line.split()[1])
    return 0


def rss_kb(pid: int) -> int:
    return _field_kb(f"/proc/{pid}/status", "VmRSS:")


def pss_kb(pid: int) -> int:
    """Proportional set size: private pages plus this process's share of shared ones."""
    return _field_kb(f"/proc/{pid}/smaps_rollup", "Pss:")


def children_of(parent: int) -> list[int]:
    """The live processes whose parent is ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(_stat_fields(int(entry.name))[1]) == parent:
                    found.append(int(entry.name))
    return found


def raise_open_files_limit(wanted: int = 20_000) -> int:
    """Lift the limit on open files to at least ``wanted`` when allowed (root may raise the
    hard limit too), else to the hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
    target = wanted if hard == resource.RLIM_INFINITY else hard
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return max(soft, target)


def pin_to_cpu(pid: int, index: int) -> set[int] | None:
    """Pin to one CPU (the ``index``-th allowed one) when there are two or more; returns the
    previous affinity so it can be restored, or None when pinning made no sense."""
    allowed = sorted(os.sched_getaffinity(pid))
    if len(allowed) < 2:
        return None
    os.sched_setaffinity(pid, {allowed[index % len(allowed)]})
    return set(allowed)
