"""Just enough of the protobuf wire format for the conformance runner: writing the
request header's fields and reading the response header's, with no protobuf library,
so that the kit checks servers and clients independently of any generated code."""

from __future__ import annotations


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value) if value else b""


def field_bytes(number: int, value: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(value)) + value if value else b""


def request_header(method: str, timeout_ms: int = 0, authorization: str = "", idempotency_key: str = "") -> bytes:
    """A RequestHeader (proto/sfa/v1/rpc.proto), fields in number order as encoders write them."""
    return (
        field_bytes(1, method.encode())
        + field_varint(2, timeout_ms)
        + field_bytes(3, authorization.encode())
        + field_bytes(4, idempotency_key.encode())
    )


def parse(data: bytes) -> dict[int, list]:
    """Fields by number: varints as int, length-delimited as bytes (others skipped)."""
    fields: dict[int, list] = {}
    index = 0

    def read_varint() -> int:
        nonlocal index
        shift = result = 0
        while True:
            byte = data[index]
            index += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while index < len(data):
        key = read_varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            fields.setdefault(number, []).append(read_varint())
        elif wire == 2:
            length = read_varint()
            fields.setdefault(number, []).append(data[index : index + length])
            index += length
        elif wire == 1:
            index += 8
        elif wire == 5:
            index += 4
        else:
            raise ValueError(f"wire type {wire} is not supported")
    return fields


def response_header(data: bytes) -> dict:
    """status, message, reason and field violations of a ResponseHeader."""
    fields = parse(data)
    details = parse(fields.get(3, [b""])[0])
    violations = [parse(v) for v in details.get(4, [])]
    return {
        "status": fields.get(1, [0])[0],
        "message": fields.get(2, [b""])[0].decode("utf-8", "replace"),
        "reason": details.get(1, [b""])[0].decode(),
        "domain": details.get(2, [b""])[0].decode(),
        "violations": [(v.get(1, [b""])[0].decode(), v.get(3, [b""])[0].decode()) for v in violations],
    }
