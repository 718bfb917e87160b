"""The frame layout of docs/protocol.md §2: a u32 big-endian length, then type, flags,
call id, header length, header and payload."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

REQUEST = 1
RESPONSE = 2
CANCEL = 3
PING = 4
PONG = 5
GOAWAY = 6

_PREFIX = struct.Struct(">IBBII")
#: Bytes after the length field that every frame has: type, flags, call id, header length.
FIXED = 10
#: The bundled clients' default limit on a frame (docs/protocol.md §6).
DEFAULT_MAXIMUM_FRAME_SIZE = 4 * 1024 * 1024


class ProtocolError(Exception):
    """The peer sent something the protocol does not allow; the connection is unusable."""


@dataclass(frozen=True)
class Frame:
    type: int
    call_id: int
    header: bytes = b""
    payload: bytes = b""
    flags: int = 0

    def encode(self) -> bytes:
        """The frame's bytes on the wire."""
        length = FIXED + len(self.header) + len(self.payload)
        return _PREFIX.pack(length, self.type, self.flags, self.call_id, len(self.header)) + self.header + self.payload


async def read_frame(reader: asyncio.StreamReader, maximum_size: int = DEFAULT_MAXIMUM_FRAME_SIZE) -> Frame:
    """Reads one frame; raises ProtocolError for a frame the protocol forbids and
    asyncio.IncompleteReadError when the connection ends."""
    length = struct.unpack(">I", await reader.readexactly(4))[0]
    if length < FIXED:
        raise ProtocolError(f"frame length {length} is below {FIXED}")
    if length > maximum_size:
        raise ProtocolError(f"frame of {length} bytes is over the limit of {maximum_size}")
    body = await reader.readexactly(length)
    frame_type, flags, call_id, header_length = struct.unpack(">BBII", body[:FIXED])
    if header_length > length - FIXED:
        raise ProtocolError(f"header length {header_length} runs past the frame")
    header = body[FIXED : FIXED + header_length]
    return Frame(frame_type, call_id, header, body[FIXED + header_length :], flags)
