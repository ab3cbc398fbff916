"""How the sandbox tells that a process is gone: not while any of its threads still runs (an
Asterisk whose main thread has ended still holds its ports while the other threads shut down)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from ivr_acd_dev.sandbox import process_alive

pytestmark = pytest.mark.integration

# The main thread ends (pthread_exit: it shows as a zombie) while a second thread runs on.
MAIN_THREAD_ENDS_FIRST = """
import ctypes, threading, time
threading.Thread(target=time.sleep, args=(1.5,)).start()
print("ready", flush=True)
ctypes.CDLL(None).pthread_exit(None)
"""


def _leader_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def test_a_process_whose_main_thread_ended_is_alive_until_its_last_thread_ends() -> None:
    proc = subprocess.Popen([sys.executable, "-c", MAIN_THREAD_ENDS_FIRST], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    deadline = time.monotonic() + 1.0
    while _leader_state(proc.pid) != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _leader_state(proc.pid) == "Z"
    assert process_alive(proc.pid)
    deadline = time.monotonic() + 5.0
    while process_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_alive(proc.pid)
    proc.wait(1)
