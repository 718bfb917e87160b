"""The gRPC endpoint (sfad --grpc-port) with the stock grpcio client and stubs generated
from proto/ by grpcio-tools, each call compared with the same call over the framed
protocol (this package's Client): a success, PERMISSION_DENIED with its details,
INVALID_ARGUMENT with field violations, DEADLINE_EXCEEDED, and a lead round trip."""

from __future__ import annotations

import asyncio
import importlib.util
import pathlib
import uuid

import grpc
import pytest
from google.rpc import status_pb2
from grpc_tools import protoc
from sfa.v1 import admin_pb2, audit_pb2, changes_pb2, common_pb2, health_pb2, leads_pb2

from saleswire import NO_RETRIES, Client, RpcError, StatusCode

PROTO_ROOT = pathlib.Path(__file__).resolve().parents[3] / "proto"


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    """The *_pb2_grpc modules of proto/, generated now; the messages they import are
    the package's own sfa.v1 modules."""
    out = tmp_path_factory.mktemp("grpc-stubs")
    sources = sorted(str(path) for path in (PROTO_ROOT / "sfa" / "v1").glob("*.proto"))
    assert protoc.main(["protoc", f"-I{PROTO_ROOT}", f"--grpc_python_out={out}"] + sources) == 0
    modules = {}
    for path in sorted((out / "sfa" / "v1").glob("*_pb2_grpc.py")):
        spec = importlib.util.spec_from_file_location(f"saleswire_test_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules[path.stem.removesuffix("_pb2_grpc")] = module
    return modules


@pytest.fixture
def channel(server):
    with grpc.insecure_channel(f"{server.host}:{server.grpc_port}") as channel:
        yield channel


def bearer(key: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {key}")]


def lead(**fields) -> leads_pb2.Lead:
    unique = uuid.uuid4().hex[:12]
    defaults = dict(last_name=f"Sato {unique}", company_name=f"Sato {unique} KK", email=f"{unique}@sato.example", source=leads_pb2.LEAD_SOURCE_WEBINAR)
    defaults.update(fields)
    return leads_pb2.Lead(**defaults)


def native(server, role, call):
    """`call(client)` over the framed protocol; its result or the RpcError it raised."""

    async def scenario():
        async with Client(server.host, server.port, server.keys.get(role), retry=NO_RETRIES) as client:
            try:
                return await call(client)
            except RpcError as error:
                return error

    return asyncio.run(scenario())


def details_of(error: grpc.RpcError) -> tuple[status_pb2.Status, common_pb2.ErrorDetails]:
    """The google.rpc.Status in grpc-status-details-bin and the sfa.v1.ErrorDetails it holds."""
    trailers = dict(error.trailing_metadata() or ())
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    assert len(status.details) == 1
    assert status.details[0].type_url == "type.googleapis.com/sfa.v1.ErrorDetails"
    details = common_pb2.ErrorDetails()
    assert status.details[0].Unpack(details)
    return status, details


def test_health_answers_without_a_key_as_over_the_native_transport(server, stubs, channel):
    answer = stubs["health"].HealthServiceStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert answer.status == health_pb2.SERVING_STATUS_SERVING
    assert answer == native(server, None, lambda client: client.stub("sfa.v1.HealthService").Check(health_pb2.HealthCheckRequest()))


def test_a_lead_round_trips_between_the_two_transports(server, stubs, channel):
    leads = stubs["leads"].LeadServiceStub(channel)
    created = leads.CreateLead(leads_pb2.CreateLeadRequest(lead=lead()), metadata=bearer(server.keys["rep"]), timeout=10)
    assert created.created
    read_natively = native(server, "rep", lambda client: client.stub("sfa.v1.LeadService").GetLead(leads_pb2.GetLeadRequest(id=created.lead.id)))
    assert read_natively == created.lead
    # Changed natively, read back over gRPC: the same bytes either way.
    changed = leads_pb2.Lead(id=created.lead.id, version=created.lead.version, notes="called back")
    updated = native(server, "rep", lambda client: client.stub("sfa.v1.LeadService").UpdateLead(
        leads_pb2.UpdateLeadRequest(lead=changed, update_mask=["notes"])))
    read = leads.GetLead(leads_pb2.GetLeadRequest(id=created.lead.id), metadata=bearer(server.keys["rep"]), timeout=10)
    assert read.SerializeToString() == updated.SerializeToString()
    assert read.notes == "called back" and read.version == created.lead.version + 1
    # The change feed over gRPC shows the lead's two changes, as it does natively.
    feed = stubs["changes"].ChangeServiceStub(channel)
    changes = []
    cursor = ""
    while True:
        page = feed.ListChanges(changes_pb2.ListChangesRequest(cursor=cursor), metadata=bearer(server.keys["rep"]), timeout=10)
        changes += [change for change in page.changes if change.record_id == created.lead.id]
        cursor = page.next_cursor
        if not page.more:
            break
    assert [(change.version, change.operation) for change in changes] == [
        (1, audit_pb2.AUDIT_ACTION_CREATE), (2, audit_pb2.AUDIT_ACTION_UPDATE)]
    assert changes[-1].lead == read


def test_permission_denied_carries_the_details_of_the_native_transport(server, stubs, channel):
    with pytest.raises(grpc.RpcError) as denied:
        stubs["audit"].AuditServiceStub(channel).ListAuditEvents(
            audit_pb2.ListAuditEventsRequest(), metadata=bearer(server.keys["rep"]), timeout=10)
    expected = native(server, "rep", lambda client: client.stub("sfa.v1.AuditService").ListAuditEvents(audit_pb2.ListAuditEventsRequest()))
    assert isinstance(expected, RpcError) and expected.code == StatusCode.PERMISSION_DENIED
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert denied.value.details() == expected.message
    status, details = details_of(denied.value)
    assert status.code == grpc.StatusCode.PERMISSION_DENIED.value[0]
    assert status.message == expected.message
    assert details.reason == expected.reason == "METHOD_NOT_ALLOWED"
    assert details.domain == "saleswire.sfa"


def test_invalid_input_and_a_missing_key_fail_as_over_the_native_transport(server, stubs, channel):
    leads = stubs["leads"].LeadServiceStub(channel)
    with pytest.raises(grpc.RpcError) as invalid:
        leads.CreateLead(leads_pb2.CreateLeadRequest(lead=leads_pb2.Lead()), metadata=bearer(server.keys["rep"]), timeout=10)
    expected = native(server, "rep", lambda client: client.stub("sfa.v1.LeadService").CreateLead(leads_pb2.CreateLeadRequest(lead=leads_pb2.Lead())))
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT and expected.code == StatusCode.INVALID_ARGUMENT
    _, details = details_of(invalid.value)
    assert details.reason == expected.reason == "INVALID_FIELDS"
    assert [(v.field, v.reason) for v in details.field_violations] == [(v.field, v.reason) for v in expected.field_violations]
    with pytest.raises(grpc.RpcError) as anonymous:
        leads.ListLeads(leads_pb2.ListLeadsRequest(), timeout=10)
    expected = native(server, None, lambda client: client.stub("sfa.v1.LeadService").ListLeads(leads_pb2.ListLeadsRequest()))
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED and expected.code == StatusCode.UNAUTHENTICATED
    assert details_of(anonymous.value)[1].reason == expected.reason == "API_KEY_MISSING"


def test_a_deadline_that_passes_is_deadline_exceeded_on_both_transports(server, stubs, channel):
    # Checking 10,000 rows for duplicates (a dry run: nothing is created) takes the
    # server far longer than 20 ms.
    rows = [lead() for _ in range(10_000)]
    request = leads_pb2.ImportLeadsRequest(leads=rows, dry_run=True)
    leads = stubs["leads"].LeadServiceStub(channel)
    with pytest.raises(grpc.RpcError) as late:
        leads.ImportLeads(request, metadata=bearer(server.keys["marketing"]), timeout=0.02)
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    expected = native(server, "marketing", lambda client: client.stub("sfa.v1.LeadService").ImportLeads(request, timeout=0.02))
    assert isinstance(expected, RpcError) and expected.code == StatusCode.DEADLINE_EXCEEDED
    # With only the grpc-timeout header (no deadline of the client's own), it is the
    # server that ends the call, with the framed transport's message and reason.
    with pytest.raises(grpc.RpcError) as ended:
        leads.ImportLeads(request, metadata=bearer(server.keys["marketing"]) + [("grpc-timeout", "20m")])
    assert ended.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert ended.value.details() == "the deadline passed before the call finished"
    assert details_of(ended.value)[1].reason == "DEADLINE_EXCEEDED"
    # A deadline that leaves time is kept too: the call succeeds.
    answer = leads.ListLeads(leads_pb2.ListLeadsRequest(page_size=1), metadata=bearer(server.keys["marketing"]), timeout=30)
    assert len(answer.leads) == 1


def test_grpc_calls_count_in_the_server_statistics_with_the_framed_ones(server, stubs, channel):
    def list_leads_calls() -> int:
        stats = native(server, "operator", lambda client: client.stub("sfa.v1.AdminService").GetServerStats(admin_pb2.GetServerStatsRequest()))
        return sum(method.call_count for method in stats.methods if method.method == "/sfa.v1.LeadService/ListLeads")

    before = list_leads_calls()
    for _ in range(3):
        stubs["leads"].LeadServiceStub(channel).ListLeads(leads_pb2.ListLeadsRequest(), metadata=bearer(server.keys["rep"]), timeout=10)
    native(server, "rep", lambda client: client.stub("sfa.v1.LeadService").ListLeads(leads_pb2.ListLeadsRequest()))
    assert list_leads_calls() == before + 4
