"""The client: a connection (reopened when needed), calls by full method name or
through service stubs built from the generated descriptors, and retries only where a
repeat cannot apply a change twice."""

from __future__ import annotations

import asyncio
import random
import ssl as _ssl
from dataclasses import dataclass

from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import DecodeError, Message

from . import frames, messages
from .connection import Connection
from .errors import RpcError, StatusCode

messages.load()


@dataclass
class RetryPolicy:
    """Retries on UNAVAILABLE, for calls that are safe to repeat: methods declared
    NO_SIDE_EFFECTS or IDEMPOTENT, and calls with an idempotency key. Waits grow
    exponentially with full jitter, and never less than the server's retry_after_ms."""

    attempts: int = 4
    initial_backoff: float = 0.05
    maximum_backoff: float = 2.0

    def delay(self, attempt: int, error: RpcError) -> float:
        ceiling = min(self.maximum_backoff, self.initial_backoff * (2**attempt))
        return max(random.uniform(0, ceiling), error.retry_after_ms / 1000)


NO_RETRIES = RetryPolicy(attempts=1)


class Client:
    """Calls a SalesWire server with one API key.

    >>> async with Client("127.0.0.1", 7411, api_key) as client:
    ...     lead = await client.stub("sfa.v1.LeadService").GetLead(leads_pb2.GetLeadRequest(id=lead_id))

    For TLS pass an `ssl.SSLContext`: `ssl.create_default_context(cafile="ca.pem")`,
    with `load_cert_chain("client.pem", "client.key")` for a partner's certificate.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 7411,
        api_key: str | None = None,
        retry: RetryPolicy = RetryPolicy(),
        maximum_frame_size: int = frames.DEFAULT_MAXIMUM_FRAME_SIZE,
        ssl: _ssl.SSLContext | None = None,
    ):
        self.host, self.port, self.api_key = host, port, api_key
        self.ssl = ssl
        self.retry = retry
        self.maximum_frame_size = maximum_frame_size
        self._connection: Connection | None = None
        self._opening = asyncio.Lock()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *_) -> None:
        await self.close()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    def stub(self, service: str) -> "Stub":
        """Methods of `service` (e.g. "sfa.v1.LeadService") as async functions taking the
        request message: `await stub.GetLead(request)`."""
        return Stub(self, messages.pool().FindServiceByName(service))

    async def call(
        self,
        method: str,
        request: Message,
        response_type: type[Message],
        *,
        timeout: float | None = None,
        idempotency_key: str | None = None,
        metadata: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Message:
        """Calls `method` ("/sfa.v1.LeadService/GetLead") and returns its response.
        Raises RpcError with the server's status, reason and field violations.
        `idempotent` overrides what the method's descriptor declares."""
        if idempotent is None:
            idempotent = messages.is_idempotent(method)
        retryable = idempotent or bool(idempotency_key)
        attempts = self.retry.attempts if retryable else 1
        payload = request.SerializeToString()
        for attempt in range(attempts):
            header = messages.rpc.RequestHeader(method=method, authorization=f"Bearer {self.api_key}" if self.api_key else "")
            if idempotency_key:
                header.idempotency_key = idempotency_key
            for key, value in (metadata or {}).items():
                header.metadata[key] = value
            try:
                connection = await self._usable_connection()
                response_header, body = await connection.call(header, payload, timeout)
            except RpcError as error:
                if error.code != StatusCode.UNAVAILABLE or attempt + 1 == attempts:
                    raise
                await asyncio.sleep(self.retry.delay(attempt, error))
                continue
            except OSError as error:
                if attempt + 1 == attempts:
                    raise RpcError(StatusCode.UNAVAILABLE, f"cannot connect: {error}", reason="CONNECT_FAILED", processed=False) from error
                await asyncio.sleep(self.retry.delay(attempt, RpcError(StatusCode.UNAVAILABLE)))
                continue
            if response_header.status != 0:
                error = RpcError.from_header(response_header)
                if error.code == StatusCode.UNAVAILABLE and attempt + 1 < attempts:
                    await asyncio.sleep(self.retry.delay(attempt, error))
                    continue
                raise error
            response = response_type()
            try:
                response.ParseFromString(body)
            except DecodeError as error:
                raise RpcError(StatusCode.INTERNAL, f"the response does not decode: {error}", reason="MALFORMED_RESPONSE") from error
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def ping(self, payload: bytes = b"") -> bytes:
        return await (await self._usable_connection()).ping(payload)

    async def _usable_connection(self) -> Connection:
        async with self._opening:
            if self._connection is None or not self._connection.usable:
                if self._connection is not None:
                    await self._connection.close()
                self._connection = await Connection.open(self.host, self.port, self.maximum_frame_size, ssl=self.ssl)
            return self._connection


class Stub:
    """A service's methods, looked up in the generated descriptors."""

    def __init__(self, client: Client, service):
        self._client = client
        self._service = service

    def __getattr__(self, name: str):
        method: MethodDescriptor | None = self._service.methods_by_name.get(name)
        if method is None:
            raise AttributeError(f"{self._service.full_name} has no method {name}")
        full_name = f"/{self._service.full_name}/{method.name}"
        response_type = message_factory.GetMessageClass(method.output_type)

        async def invoke(request: Message, **options) -> Message:
            return await self._client.call(full_name, request, response_type, **options)

        invoke.__name__ = name
        return invoke

