"""The client against a real sfad, and against small fake servers for what a real one
does not do on demand (never answering, draining mid-call, failing then recovering)."""

from __future__ import annotations

import asyncio
import struct
import uuid

import pytest
from sfa.v1 import common_pb2, health_pb2, leads_pb2, rpc_pb2

from saleswire import NO_RETRIES, Client, RetryPolicy, RpcError, StatusCode
from saleswire import frames


def run(coroutine):
    return asyncio.run(coroutine)


def lead(**fields) -> leads_pb2.Lead:
    # Unique person and company: CreateLead reports look-alikes instead of creating them.
    unique = uuid.uuid4().hex[:12]
    defaults = dict(last_name=f"Tanaka {unique}", company_name=f"Tanaka {unique} KK", email=f"{unique}@tanaka.example", source=leads_pb2.LEAD_SOURCE_WEBINAR)
    defaults.update(fields)
    return leads_pb2.Lead(**defaults)


def test_health_needs_no_key_and_a_ping_is_echoed(server):
    async def scenario():
        async with Client(server.host, server.port) as client:
            answer = await client.stub("sfa.v1.HealthService").Check(health_pb2.HealthCheckRequest())
            assert answer.status == health_pb2.SERVING_STATUS_SERVING
            assert await client.ping(b"hello") == b"hello"

    run(scenario())


def test_a_lead_round_trips_and_bad_input_is_a_typed_error(server):
    async def scenario():
        async with Client(server.host, server.port, server.keys["rep"]) as client:
            leads = client.stub("sfa.v1.LeadService")
            created = await leads.CreateLead(leads_pb2.CreateLeadRequest(lead=lead()))
            assert created.created
            read = await leads.GetLead(leads_pb2.GetLeadRequest(id=created.lead.id))
            assert read == created.lead
            with pytest.raises(RpcError) as refused:
                await leads.CreateLead(leads_pb2.CreateLeadRequest(lead=leads_pb2.Lead()))
            assert refused.value.code == StatusCode.INVALID_ARGUMENT
            fields = {violation.field for violation in refused.value.field_violations}
            assert {"lead.last_name", "lead.company_name", "lead.source"} <= fields
            assert all(violation.reason for violation in refused.value.field_violations)
            with pytest.raises(RpcError) as missing:
                await leads.GetLead(leads_pb2.GetLeadRequest(id="lead_01nosuchleadnosuchleadnosu"))
            assert missing.value.code == StatusCode.NOT_FOUND

    run(scenario())


def test_roles_are_enforced_and_a_key_is_required(server):
    async def scenario():
        async with Client(server.host, server.port, server.keys["viewer"]) as viewer:
            with pytest.raises(RpcError) as denied:
                await viewer.stub("sfa.v1.LeadService").CreateLead(leads_pb2.CreateLeadRequest(lead=lead()))
            assert denied.value.code == StatusCode.PERMISSION_DENIED
            assert denied.value.reason == "METHOD_NOT_ALLOWED"
        async with Client(server.host, server.port) as anonymous:
            with pytest.raises(RpcError) as unauthenticated:
                await anonymous.stub("sfa.v1.LeadService").ListLeads(leads_pb2.ListLeadsRequest())
            assert unauthenticated.value.code == StatusCode.UNAUTHENTICATED

    run(scenario())


def test_many_calls_share_one_connection(server):
    async def scenario():
        async with Client(server.host, server.port, server.keys["rep"]) as client:
            leads = client.stub("sfa.v1.LeadService")
            created = await leads.CreateLead(leads_pb2.CreateLeadRequest(lead=lead()))
            assert created.created
            answers = await asyncio.gather(*[leads.GetLead(leads_pb2.GetLeadRequest(id=created.lead.id)) for _ in range(200)])
            assert {answer.id for answer in answers} == {created.lead.id}

    run(scenario())


def test_an_idempotency_key_makes_a_retried_write_happen_once(server):
    async def scenario():
        async with Client(server.host, server.port, server.keys["rep"]) as client:
            leads = client.stub("sfa.v1.LeadService")
            request = leads_pb2.CreateLeadRequest(lead=lead())
            first = await leads.CreateLead(request, idempotency_key="import-row-1")
            assert first.created
            again = await leads.CreateLead(request, idempotency_key="import-row-1")
            assert again.lead.id == first.lead.id

    run(scenario())


# Fake servers: each reads frames and answers as `behave` says.

async def fake_server(behave):
    async def handle(reader, writer):
        try:
            while True:
                frame = await frames.read_frame(reader)
                for reply in await behave(frame):
                    writer.write(reply.encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def ok(call_id: int, message) -> frames.Frame:
    return frames.Frame(frames.RESPONSE, call_id, b"", message.SerializeToString())


def test_a_deadline_fails_the_call_and_cancels_it_on_the_server():
    async def scenario():
        seen = []

        async def silent(frame):
            seen.append(frame)
            return []

        server, port = await fake_server(silent)
        async with Client("127.0.0.1", port, "key", retry=NO_RETRIES) as client:
            with pytest.raises(RpcError) as late:
                await client.stub("sfa.v1.HealthService").Check(health_pb2.HealthCheckRequest(), timeout=0.2)
            assert late.value.code == StatusCode.DEADLINE_EXCEEDED
            await asyncio.sleep(0.1)
        header = rpc_pb2.RequestHeader()
        header.ParseFromString(seen[0].header)
        assert header.timeout_ms == 200
        assert [frame.type for frame in seen] == [frames.REQUEST, frames.CANCEL]
        assert seen[1].call_id == seen[0].call_id
        server.close()

    run(scenario())


def test_a_drain_fails_only_the_calls_it_will_not_process():
    async def scenario():
        pending = []

        async def drain_after_two(frame):
            pending.append(frame.call_id)
            if len(pending) < 2:
                return []
            go_away = rpc_pb2.GoAway(last_call_id=pending[0], reason="server shutting down", kind=1)
            return [frames.Frame(frames.GOAWAY, 0, go_away.SerializeToString()), ok(pending[0], health_pb2.HealthCheckResponse(status=1))]

        server, port = await fake_server(drain_after_two)
        async with Client("127.0.0.1", port, "key", retry=NO_RETRIES) as client:
            health = client.stub("sfa.v1.HealthService")
            first = asyncio.create_task(health.Check(health_pb2.HealthCheckRequest()))
            await asyncio.sleep(0.05)
            second = asyncio.create_task(health.Check(health_pb2.HealthCheckRequest()))
            assert (await first).status == 1
            with pytest.raises(RpcError) as refused:
                await second
            assert refused.value.code == StatusCode.UNAVAILABLE
            assert refused.value.processed is False
        server.close()

    run(scenario())


def test_only_calls_safe_to_repeat_are_retried_on_unavailable():
    async def scenario():
        requests = []

        async def unavailable_once(frame):
            requests.append(frame)
            if len(requests) % 2 == 1:
                details = common_pb2.ErrorDetails(reason="DRAINING", retry_after_ms=10)
                header = rpc_pb2.ResponseHeader(status=14, message="try again", details=details)
                return [frames.Frame(frames.RESPONSE, frame.call_id, header.SerializeToString())]
            return [ok(frame.call_id, leads_pb2.Lead(id="lead_x"))]

        server, port = await fake_server(unavailable_once)
        async with Client("127.0.0.1", port, "key", retry=RetryPolicy(attempts=3, initial_backoff=0.01)) as client:
            leads = client.stub("sfa.v1.LeadService")
            assert (await leads.GetLead(leads_pb2.GetLeadRequest(id="lead_x"))).id == "lead_x"
            assert len(requests) == 2
            # CreateLead changes data: without an idempotency key it is not repeated.
            with pytest.raises(RpcError) as once:
                await leads.CreateLead(leads_pb2.CreateLeadRequest(lead=lead()))
            assert once.value.code == StatusCode.UNAVAILABLE
            assert once.value.retry_after_ms == 10
            assert len(requests) == 3
        server.close()

    run(scenario())


def test_frames_have_the_documented_layout():
    frame = frames.Frame(frames.PING, 7, b"", b"hi")
    assert frame.encode() == struct.pack(">IBBII", 12, 4, 0, 7, 0) + b"hi"
