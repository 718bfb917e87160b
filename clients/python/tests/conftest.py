"""A real sfad for the tests: started on free ports (its framed listener and its gRPC
endpoint) with a demo tenant in a fresh data directory, stopped afterwards. SFAD names
the executable (default: the debug build of the repository this package sits in)."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def running_sfad(data: str, *arguments: str):
    """sfad on free ports with its data in `data`, stopped on exit; yields a dict of
    the ports it announced: "native" always, "grpc" when started with --grpc-port."""
    executable = os.environ.get("SFAD", str(REPOSITORY / ".build" / "debug" / "sfad"))
    if not os.access(executable, os.X_OK):
        pytest.fail(f"no sfad at {executable}: build it (swift build) or set SFAD")
    wanted = {"native"} | ({"grpc"} if "--grpc-port" in arguments else set())
    out = open(os.path.join(data, "sfad.out"), "w+")
    process = subprocess.Popen(
        [executable, "--port", "0", "--data-dir", os.path.join(data, "db"), *arguments],
        stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )
    try:
        ports: dict[str, int] = {}
        deadline = time.monotonic() + 60
        while set(ports) != wanted and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
            out.seek(0)
            for line in out.read().splitlines():
                if line.startswith("listening on "):
                    ports["native"] = int(line.rsplit(":", 1)[1])
                if line.startswith("gRPC listening on "):
                    ports["grpc"] = int(line.rsplit(":", 1)[1])
        if set(ports) != wanted:
            pytest.fail("sfad did not start")
        yield ports
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        out.close()


@pytest.fixture(scope="session")
def server():
    with tempfile.TemporaryDirectory(prefix="sfa-python-") as data:
        with running_sfad(data, "--grpc-port", "0", "--demo") as ports:
            keys = {}
            for line in open(os.path.join(data, "db", "demo-keys.txt")):
                if not line.startswith("#") and line.strip():
                    role, _, key = line.strip().split("\t")
                    keys[role] = key
            # Written there because standard output is not a terminal (docs/operations.md).
            for line in open(os.path.join(data, "db", "operator-key.txt")):
                if line.startswith("sfa_"):
                    keys["operator"] = line.strip()
            yield Server(ports["native"], ports["grpc"], keys)
