#!/usr/bin/env python3
"""Checks a SalesWire server against the conformance vectors (vectors.json).

    python3 conformance/run.py --host 127.0.0.1 --port 7411 --keys demo-keys.txt

Each vector describes a request: its frame is built here from the vector's fields and,
where the vector gives `frame_hex`, first compared with it byte for byte (so the
vectors also check a client's encoder: encode the same fields, compare with
`frame_hex`). The frame is sent on a fresh connection and the server's reply must have
every property in `expect`. `--keys` is a demo-keys.txt (role, email, key per line) for
the vectors that call as a role. Exit status 1 if any vector fails.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import socket
import struct
import sys

import protowire

TYPES = {"REQUEST": 1, "RESPONSE": 2, "CANCEL": 3, "PING": 4, "PONG": 5, "GOAWAY": 6}
VECTORS = pathlib.Path(__file__).resolve().parent / "vectors.json"


def build(vector: dict, keys: dict[str, str]) -> bytes:
    """The frame of a vector's request."""
    request = vector["request"]
    frame_type = TYPES[request.get("type", "REQUEST")]
    header = b""
    if frame_type == TYPES["REQUEST"]:
        authorization = request.get("authorization", "")
        if "role" in request:
            authorization = f"Bearer {keys[request['role']]}"
        header = protowire.request_header(request["method"], request.get("timeout_ms", 0), authorization, request.get("idempotency_key", ""))
    payload = bytes.fromhex(request.get("payload_hex", ""))
    return struct.pack(">IBBII", 10 + len(header) + len(payload), frame_type, 0, request["call_id"], len(header)) + header + payload


def exchange(host: str, port: int, frame: bytes) -> tuple[int, int, bytes, bytes]:
    """Sends `frame`, returns the first frame back: type, call id, header, payload."""
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(frame)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
            chunk = connection.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection without answering")
            data += chunk
    length, frame_type, _, call_id, header_length = struct.unpack(">IBBII", data[:14])
    return frame_type, call_id, data[14 : 14 + header_length], data[14 + header_length : 4 + length]


def check(vector: dict, reply: tuple[int, int, bytes, bytes]) -> list[str]:
    """What about the reply differs from the vector's `expect`."""
    expect = vector["expect"]
    frame_type, call_id, header, payload = reply
    problems = []
    if frame_type != TYPES[expect.get("type", "RESPONSE")]:
        problems.append(f"frame type {frame_type}, expected {expect.get('type', 'RESPONSE')}")
    if call_id != expect["call_id"]:
        problems.append(f"call id {call_id}, expected {expect['call_id']}")
    if "payload_hex" in expect and payload.hex() != expect["payload_hex"]:
        problems.append(f"payload {payload.hex()}, expected {expect['payload_hex']}")
    if frame_type == TYPES["RESPONSE"]:
        response = protowire.response_header(header)
        if response["status"] != expect.get("status", 0):
            problems.append(f"status {response['status']} ({response['message']}), expected {expect.get('status', 0)}")
        if response["status"] != 0 and response["domain"] != "saleswire.sfa":
            problems.append(f"error domain {response['domain']!r}, expected 'saleswire.sfa'")
        if response["status"] != 0 and payload:
            problems.append("an error response carries a payload")
        if "reason" in expect and response["reason"] != expect["reason"]:
            problems.append(f"reason {response['reason']!r}, expected {expect['reason']!r}")
        fields = {field for field, _ in response["violations"]}
        missing = set(expect.get("violations_include", [])) - fields
        if missing:
            problems.append(f"no field violations for {sorted(missing)} (got {sorted(fields)})")
        if any(not reason for _, reason in response["violations"]):
            problems.append("a field violation without a reason")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description="Check a SalesWire server against the conformance vectors.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7411)
    parser.add_argument("--keys", help="demo-keys.txt: role, email and API key per line")
    arguments = parser.parse_args()
    keys = {}
    if arguments.keys:
        for line in open(arguments.keys, encoding="utf-8"):
            if line.strip() and not line.startswith("#"):
                role, _, key = line.strip().split("\t")
                keys[role] = key
    failures = 0
    for vector in json.loads(VECTORS.read_text())["vectors"]:
        if "role" in vector["request"] and vector["request"]["role"] not in keys:
            print(f"SKIP {vector['name']}: no key for role {vector['request']['role']}")
            continue
        frame = build(vector, keys)
        problems = []
        if "frame_hex" in vector and frame.hex() != vector["frame_hex"]:
            problems.append(f"built frame {frame.hex()} differs from frame_hex")
        if not problems:
            problems = check(vector, exchange(arguments.host, arguments.port, frame))
        print(("FAIL " if problems else "PASS ") + vector["name"] + "".join(f"\n     {problem}" for problem in problems))
        failures += bool(problems)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
