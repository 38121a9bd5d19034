"""Shared helpers for graphgate's end-to-end tests (clients that are not graphgate's own).

Generic on purpose: start the built binary (GRAPHGATE_BIN), wait for its announced URL, stop it cleanly.
"""
import os
import re
import select
import signal
import subprocess
import time

import pytest


def graphgate_bin() -> str:
    path = os.environ.get("GRAPHGATE_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "graphgate")
    if not os.path.exists(path):
        pytest.skip(f"graphgate binary not found at {path} (set GRAPHGATE_BIN)")
    return path


def start_announcing(args, pattern, timeout=60.0, env=None):
    """Starts `graphgate ARGS` and waits for a stdout line matching `pattern`; returns (process, match)."""
    proc = subprocess.Popen([graphgate_bin(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            m = re.search(pattern, line)
            if m:
                return proc, m
        if proc.poll() is not None:
            break
    stop(proc)
    raise RuntimeError(f"graphgate {' '.join(args)} did not announce itself; stderr: {proc.stderr.read()[-2000:]}")


def stop(proc, sig=signal.SIGINT, timeout=20.0) -> int:
    """Stops a started process with `sig` (graceful), killing it after `timeout`; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@pytest.fixture(scope="module")
def sandbox():
    """A running emulated tenant (`graphgate sandbox --port 0`); yields its base URL."""
    proc, m = start_announcing(
        ["sandbox", "--port", "0", "--device-code-interval", "1"], r"^graphgate sandbox listening on (https?://\S+)$"
    )
    try:
        yield m.group(1)
    finally:
        code = stop(proc)
        assert code == 0, f"sandbox exited with {code}"
