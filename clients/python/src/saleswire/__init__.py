"""SalesWire client: the framed protocol of docs/protocol.md over asyncio, with the
messages generated from proto/ (importable as `sfa.v1.<file>_pb2`)."""

from .client import NO_RETRIES, Client, RetryPolicy, Stub
from .connection import Connection
from .errors import FieldViolation, RpcError, StatusCode
from .frames import Frame

__all__ = ["Client", "Connection", "FieldViolation", "Frame", "NO_RETRIES", "RetryPolicy", "RpcError", "StatusCode", "Stub"]
