"""Typed errors carrying the status code, reason and field violations of a failed call
(docs/protocol.md §3.4, §5)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class StatusCode(enum.IntEnum):
    """gRPC's status codes, which the protocol uses unchanged."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    @classmethod
    def of(cls, number: int) -> "StatusCode":
        """A number the protocol does not define reads as UNKNOWN (§3.2)."""
        try:
            return cls(number)
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True)
class FieldViolation:
    field: str
    reason: str
    description: str


@dataclass
class RpcError(Exception):
    """A call that did not succeed. `reason` and `field_violations` are for programs,
    `message` for people. `processed` is False when the server certainly did not run
    the call (a drain's GOAWAY past its last call id): it may be retried anywhere."""

    code: StatusCode
    message: str = ""
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    field_violations: list[FieldViolation] = field(default_factory=list)
    retry_after_ms: int = 0
    processed: bool | None = None

    def __post_init__(self) -> None:
        super().__init__(f"{self.code.name}: {self.message}" + (f" [{self.reason}]" if self.reason else ""))

    @classmethod
    def from_header(cls, header) -> "RpcError":
        """The error a RESPONSE's ResponseHeader describes."""
        details = header.details
        return cls(
            code=StatusCode.of(header.status),
            message=header.message,
            reason=details.reason,
            metadata=dict(details.metadata),
            field_violations=[FieldViolation(v.field, v.reason, v.description) for v in details.field_violations],
            retry_after_ms=details.retry_after_ms,
            processed=True,
        )
