"""The examples run against a real server, so that they keep working."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import uuid

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def test_the_csv_import_reports_every_row(server, tmp_path):
    unique = uuid.uuid4().hex[:8]
    csv = tmp_path / "leads.csv"
    csv.write_text(
        "first_name,last_name,email,company_name,source\n"
        f"Aiko,Suzuki,aiko.{unique}@suzuki.example,Suzuki {unique},WEBINAR\n"
        f"Min-seo,Park,not-an-email,Park {unique},REFERRAL\n"
        f"Liam,Walsh,liam.{unique}@walsh.example,Walsh {unique},TRADE_SHOW\n"
    )
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "import_leads_csv.py"), str(csv), "--port", str(server.port), "--key", server.keys["marketing"]],
        capture_output=True, text=True, timeout=60,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stderr
    assert lines[0].startswith("line 2: CREATED lead_")
    assert lines[1] == "line 3: INVALID lead.email: INVALID_FORMAT"
    assert lines[2].startswith("line 4: CREATED lead_")


def test_a_deal_is_followed_to_closed_won(server):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "follow_deal.py"), "--port", str(server.port), "--key", server.keys["rep"]],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Needs analysis: 20%")
    assert lines[-1].startswith("v6 CLOSED_WON: Negotiation -> Closed won")


def test_a_partner_copy_follows_the_change_feed(server, tmp_path):
    state = tmp_path / "mirror.json"
    command = [sys.executable, str(EXAMPLES / "mirror_changes.py"), str(state), "--port", str(server.port), "--key", server.keys["partner"]]
    first = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    # A lead the partner pushes arrives on the next run, and only it.
    unique = uuid.uuid4().hex[:8]
    pushed = subprocess.run(
        [sys.executable, "-c", PUSH_LEAD, str(server.port), server.keys["partner"], unique], capture_output=True, text=True, timeout=60,
    )
    assert pushed.returncode == 0, pushed.stderr
    lead_id = pushed.stdout.strip()
    second = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[0] == f"lead/{lead_id} v1 CREATE: stored"
    copy = json.loads(state.read_text())["records"]
    assert copy[f"lead/{lead_id}"]["companyName"] == f"Partner {unique} KK"


PUSH_LEAD = """
import asyncio, sys
from sfa.v1 import leads_pb2
from saleswire import Client
async def push():
    async with Client("127.0.0.1", int(sys.argv[1]), sys.argv[2]) as client:
        lead = leads_pb2.Lead(last_name="Ito", company_name=f"Partner {sys.argv[3]} KK", email=f"{sys.argv[3]}@partner.example",
                              source=leads_pb2.LEAD_SOURCE_PARTNER)
        print((await client.stub("sfa.v1.LeadService").CreateLead(leads_pb2.CreateLeadRequest(lead=lead))).lead.id)
asyncio.run(push())
"""
