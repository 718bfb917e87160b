"""Keeps a copy of the records a key sees, from the change feed alone: reads every change
since the cursor saved in the state file, applies it (a record replaces the copy's, a
tombstone deletes it), saves the copy and the new cursor, and prints one line per change.
Run it again (or with --follow, every few seconds) to catch up; a CURSOR_EXPIRED error
means the tenant was restored from a backup: delete the state file to start over.

    python mirror_changes.py mirror.json --port 7411 --key "$SFA_PARTNER_KEY"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pathlib

from google.protobuf import json_format
from sfa.v1 import audit_pb2, changes_pb2, common_pb2

from saleswire import Client


def apply(copy: dict, change: changes_pb2.Change) -> str:
    """Applies one change to the copy; the line to print."""
    kind = common_pb2.RecordKind.Name(change.record_kind).removeprefix("RECORD_KIND_").lower()
    key = f"{kind}/{change.record_id}"
    which = change.WhichOneof("record")
    if which is None:
        # A later change of the record in the same page carries it.
        what = "superseded"
    elif which == "tombstone":
        copy.pop(key, None)
        what = "deleted (" + changes_pb2.TombstoneReason.Name(change.tombstone.reason).removeprefix("TOMBSTONE_REASON_") + ")"
    else:
        copy[key] = json_format.MessageToDict(getattr(change, which))
        what = "stored"
    operation = audit_pb2.AuditAction.Name(change.operation).removeprefix("AUDIT_ACTION_")
    return f"{key} v{change.version} {operation}: {what}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state", type=pathlib.Path, help="JSON file holding the copy and the cursor")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7411)
    parser.add_argument("--key", required=True)
    parser.add_argument("--follow", action="store_true", help="keep polling after catching up")
    arguments = parser.parse_args()
    state = json.loads(arguments.state.read_text()) if arguments.state.exists() else {"cursor": "", "records": {}}
    async with Client(arguments.host, arguments.port, arguments.key) as client:
        feed = client.stub("sfa.v1.ChangeService")
        while True:
            page = await feed.ListChanges(changes_pb2.ListChangesRequest(cursor=state["cursor"], page_size=200))
            for change in page.changes:
                print(apply(state["records"], change))
            state["cursor"] = page.next_cursor
            # Saved after every page: a crash repeats at most the page it was applying.
            arguments.state.write_text(json.dumps(state, indent=1, sort_keys=True))
            if not page.more:
                if not arguments.follow:
                    break
                await asyncio.sleep(5)
    print(f"{len(state['records'])} records in the copy")


if __name__ == "__main__":
    asyncio.run(main())
