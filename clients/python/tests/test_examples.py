"""The examples run against a real server, so that they keep working."""

from __future__ import annotations

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
