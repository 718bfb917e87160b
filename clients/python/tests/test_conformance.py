"""The conformance kit (conformance/): this client encodes every vector's request to the
vector's exact bytes, and the server passes the kit's runner."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest
from sfa.v1 import rpc_pb2

from saleswire import frames

KIT = pathlib.Path(__file__).resolve().parents[3] / "conformance"
VECTORS = [vector for vector in json.loads((KIT / "vectors.json").read_text())["vectors"] if "frame_hex" in vector]
TYPES = {"REQUEST": frames.REQUEST, "PING": frames.PING}


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["name"] for vector in VECTORS])
def test_the_client_encodes_each_vector_to_its_bytes(vector):
    request = vector["request"]
    frame_type = TYPES[request.get("type", "REQUEST")]
    header = b""
    if frame_type == frames.REQUEST:
        header = rpc_pb2.RequestHeader(
            method=request["method"], timeout_ms=request.get("timeout_ms", 0),
            authorization=request.get("authorization", ""), idempotency_key=request.get("idempotency_key", ""),
        ).SerializeToString()
    frame = frames.Frame(frame_type, request["call_id"], header, bytes.fromhex(request.get("payload_hex", "")))
    assert frame.encode().hex() == vector["frame_hex"]


def test_the_server_passes_the_kit(server, tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text("".join(f"{role}\t{role}@example\t{key}\n" for role, key in server.keys.items()))
    result = subprocess.run(
        [sys.executable, str(KIT / "run.py"), "--port", str(server.port), "--keys", str(keys)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SKIP" not in result.stdout
