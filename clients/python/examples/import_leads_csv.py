"""Imports leads from a CSV file through ImportLeads and prints one result per row.

    python import_leads_csv.py leads.csv --port 7411 --key "$SFA_KEY"

Columns (header row): first_name, last_name, email, phone, company_name, job_title,
source (a LeadSource name without its prefix, e.g. WEBINAR), source_detail,
external_id. Rows are sent in batches of up to 1,000, each batch with an idempotency key
derived from the file and batch, so that re-running after a failure does not import a
batch twice.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib

from sfa.v1 import leads_pb2

from saleswire import Client, RpcError

BATCH = 1000
FIELDS = ["first_name", "last_name", "email", "phone", "company_name", "job_title", "source_detail", "external_id"]


def to_lead(row: dict[str, str]) -> leads_pb2.Lead:
    lead = leads_pb2.Lead(**{name: row.get(name, "") for name in FIELDS})
    source = (row.get("source") or "OTHER").strip().upper()
    lead.source = leads_pb2.LeadSource.Value(f"LEAD_SOURCE_{source}") if f"LEAD_SOURCE_{source}" in leads_pb2.LeadSource.keys() else leads_pb2.LEAD_SOURCE_OTHER
    return lead


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7411)
    parser.add_argument("--key", required=True)
    parser.add_argument("--allow-duplicates", action="store_true")
    arguments = parser.parse_args()
    with open(arguments.csv, newline="", encoding="utf-8") as file:
        content = file.read()
    rows = list(csv.DictReader(content.splitlines()))
    digest = hashlib.sha256(content.encode()).hexdigest()[:32]
    failed = 0
    async with Client(arguments.host, arguments.port, arguments.key) as client:
        leads = client.stub("sfa.v1.LeadService")
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            request = leads_pb2.ImportLeadsRequest(leads=[to_lead(row) for row in batch], allow_duplicate=arguments.allow_duplicates)
            try:
                response = await leads.ImportLeads(request, idempotency_key=f"csv-{digest}-{start}")
            except RpcError as error:
                print(f"rows {start + 2}-{start + len(batch) + 1}: {error}")
                failed += len(batch)
                continue
            for result in response.results:
                line = start + result.row_index + 2  # the header is line 1
                outcome = leads_pb2.ImportRowOutcome.Name(result.outcome).removeprefix("IMPORT_ROW_OUTCOME_")
                detail = result.lead_id or "; ".join(f"{v.field}: {v.reason}" for v in result.field_violations)
                if result.duplicates:
                    detail += f" (looks like {', '.join(d.record_id or 'a record you cannot see' for d in result.duplicates)})"
                print(f"line {line}: {outcome} {detail}")
                failed += result.outcome != leads_pb2.IMPORT_ROW_OUTCOME_CREATED
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
