"""A real sfad for the tests: started on free ports (its framed listener and its gRPC
endpoint) with a demo tenant in a fresh data directory, stopped afterwards. SFAD names
the executable (default: the debug build of the repository this package sits in)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import tempfile
import time

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[3]


class Server:
    def __init__(self, port: int, grpc_port: int, keys: dict[str, str]):
        self.host = "127.0.0.1"
        self.port = port
        self.grpc_port = grpc_port
        self.keys = keys


@pytest.fixture(scope="session")
def server():
    executable = os.environ.get("SFAD", str(REPOSITORY / ".build" / "debug" / "sfad"))
    if not os.access(executable, os.X_OK):
        pytest.fail(f"no sfad at {executable}: build it (swift build) or set SFAD")
    with tempfile.TemporaryDirectory(prefix="sfa-python-") as data:
        out = open(os.path.join(data, "sfad.out"), "w+")
        process = subprocess.Popen(
            [executable, "--port", "0", "--grpc-port", "0", "--data-dir", os.path.join(data, "db"), "--demo"],
            stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        try:
            port = grpc_port = None
            deadline = time.monotonic() + 60
            while grpc_port is None and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.1)
                out.seek(0)
                for line in out.read().splitlines():
                    if line.startswith("listening on "):
                        port = int(line.rsplit(":", 1)[1])
                    if line.startswith("gRPC listening on "):
                        grpc_port = int(line.rsplit(":", 1)[1])
            if port is None or grpc_port is None:
                pytest.fail("sfad did not start")
            keys = {}
            for line in open(os.path.join(data, "db", "demo-keys.txt")):
                if not line.startswith("#") and line.strip():
                    role, _, key = line.strip().split("\t")
                    keys[role] = key
            # Written there because standard output is not a terminal (docs/operations.md).
            for line in open(os.path.join(data, "db", "operator-key.txt")):
                if line.startswith("sfa_"):
                    keys["operator"] = line.strip()
            yield Server(port, grpc_port, keys)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            out.close()
