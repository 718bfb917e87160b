"""One TCP connection carrying many calls at once (docs/protocol.md §1, §7)."""

from __future__ import annotations

import asyncio
import itertools
import math
import ssl as _ssl

from sfa.v1 import rpc_pb2

from . import frames
from .errors import RpcError, StatusCode

#: GoAwayKind values (docs/protocol.md §3.3).
_DRAIN = 1


class Connection:
    """A multiplexed connection: calls get increasing call ids and are answered in the
    order they finish. A deadline or a cancelled caller sends CANCEL. A GOAWAY that
    drains fails the calls above its last call id as not processed; any other GOAWAY,
    or the connection ending, fails every call in flight with effects unknown."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, maximum_frame_size: int):
        self._reader = reader
        self._writer = writer
        self._maximum_frame_size = maximum_frame_size
        self._ids = itertools.count(1)
        self._calls: dict[int, asyncio.Future] = {}
        self._pings: dict[int, asyncio.Future] = {}
        self._closed: RpcError | None = None
        self.draining = False
        self._reading = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def open(
        cls, host: str, port: int, maximum_frame_size: int = frames.DEFAULT_MAXIMUM_FRAME_SIZE, ssl: _ssl.SSLContext | None = None
    ) -> "Connection":
        """Connects, over TLS when `ssl` is given (the server's certificate must name `host`)."""
        reader, writer = await asyncio.open_connection(host, port, ssl=ssl)
        return cls(reader, writer, maximum_frame_size)

    @property
    def usable(self) -> bool:
        """Whether new calls may start here (not closed, not draining)."""
        return self._closed is None and not self.draining

    async def call(self, header: rpc_pb2.RequestHeader, payload: bytes, timeout: float | None = None) -> tuple[rpc_pb2.ResponseHeader, bytes]:
        """Sends one REQUEST and waits for its RESPONSE. `timeout` (seconds) is also
        sent as the call's deadline, rounded up to whole milliseconds."""
        if not self.usable:
            raise self._closed or RpcError(StatusCode.UNAVAILABLE, "the connection is draining", reason="DRAINING", processed=False)
        call_id = self._next_id()
        if timeout is not None:
            header.timeout_ms = max(1, math.ceil(timeout * 1000))
        answer = asyncio.get_running_loop().create_future()
        self._calls[call_id] = answer
        try:
            self._send(frames.Frame(frames.REQUEST, call_id, header.SerializeToString(), payload))
            await self._writer.drain()
            return await asyncio.wait_for(asyncio.shield(answer), timeout)
        except asyncio.TimeoutError:
            self._cancel(call_id)
            raise RpcError(StatusCode.DEADLINE_EXCEEDED, f"no answer within {timeout} s", reason="DEADLINE_EXCEEDED") from None
        except asyncio.CancelledError:
            self._cancel(call_id)
            raise
        finally:
            self._calls.pop(call_id, None)

    async def ping(self, payload: bytes = b"", timeout: float = 5.0) -> bytes:
        """Sends a PING and returns the PONG's payload (the same bytes)."""
        ping_id = self._next_id()
        answer = asyncio.get_running_loop().create_future()
        self._pings[ping_id] = answer
        try:
            self._send(frames.Frame(frames.PING, ping_id, b"", payload))
            await self._writer.drain()
            return await asyncio.wait_for(answer, timeout)
        finally:
            self._pings.pop(ping_id, None)

    async def close(self) -> None:
        self._fail_all(RpcError(StatusCode.UNAVAILABLE, "the connection was closed by the client", reason="CLOSED"))
        self._reading.cancel()
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass

    def _next_id(self) -> int:
        call_id = next(self._ids)
        if call_id > 0xFFFF_FFFF:
            # Ids must increase; rather than wrap, the connection stops taking calls.
            self.draining = True
            raise RpcError(StatusCode.UNAVAILABLE, "call ids are used up on this connection", reason="DRAINING", processed=False)
        return call_id

    def _send(self, frame: frames.Frame) -> None:
        self._writer.write(frame.encode())

    def _cancel(self, call_id: int) -> None:
        if self._closed is None and not self._writer.is_closing():
            self._send(frames.Frame(frames.CANCEL, call_id))

    async def _read_loop(self) -> None:
        try:
            while True:
                frame = await frames.read_frame(self._reader, self._maximum_frame_size)
                if frame.type == frames.RESPONSE:
                    answer = self._calls.get(frame.call_id)
                    if answer is not None and not answer.done():
                        header = rpc_pb2.ResponseHeader()
                        header.ParseFromString(frame.header)
                        answer.set_result((header, frame.payload))
                elif frame.type == frames.PONG:
                    answer = self._pings.get(frame.call_id)
                    if answer is not None and not answer.done():
                        answer.set_result(frame.payload)
                elif frame.type == frames.GOAWAY:
                    self._go_away(frame)
                # Other types are reserved: ignored, as the protocol asks.
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self._fail_all(RpcError(StatusCode.UNAVAILABLE, "the connection ended", reason="CONNECTION_ABORTED"))
        except frames.ProtocolError as error:
            self._fail_all(RpcError(StatusCode.INTERNAL, f"protocol error: {error}", reason="PROTOCOL_ERROR"))
            self._writer.close()

    def _go_away(self, frame: frames.Frame) -> None:
        go_away = rpc_pb2.GoAway()
        go_away.ParseFromString(frame.header)
        # An unknown kind, or none from an old server with last_call_id 0, is an abort.
        drain = go_away.kind == _DRAIN or (go_away.kind == 0 and go_away.last_call_id > 0)
        self.draining = True
        if not drain:
            self._fail_all(RpcError(StatusCode.UNAVAILABLE, f"the server closed the connection: {go_away.reason}", reason="CONNECTION_ABORTED"))
            return
        for call_id, answer in list(self._calls.items()):
            if call_id > go_away.last_call_id and not answer.done():
                answer.set_exception(RpcError(StatusCode.UNAVAILABLE, f"not processed: {go_away.reason}", reason="DRAINING", processed=False))

    def _fail_all(self, error: RpcError) -> None:
        self._closed = self._closed or error
        for answer in list(self._calls.values()) + list(self._pings.values()):
            if not answer.done():
                answer.set_exception(error)
