"""Follows a deal through the tenant's default pipeline: creates an account and a deal,
moves it through every open stage, closes it won and prints its stage history.

    python follow_deal.py --port 7411 --key "$SFA_REP_KEY"
"""

from __future__ import annotations

import argparse
import asyncio
import datetime

from sfa.v1 import accounts_pb2, common_pb2, opportunities_pb2, pipelines_pb2

from saleswire import Client


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7411)
    parser.add_argument("--key", required=True)
    arguments = parser.parse_args()
    async with Client(arguments.host, arguments.port, arguments.key) as client:
        pipelines = await client.stub("sfa.v1.PipelineService").ListPipelines(pipelines_pb2.ListPipelinesRequest())
        pipeline = next(p for p in pipelines.pipelines if p.is_default)
        account = await client.stub("sfa.v1.AccountService").CreateAccount(
            accounts_pb2.CreateAccountRequest(account=accounts_pb2.Account(name=f"Example KK {datetime.datetime.now():%H%M%S}"))
        )
        deals = client.stub("sfa.v1.OpportunityService")
        close = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()
        deal = await deals.CreateOpportunity(opportunities_pb2.CreateOpportunityRequest(opportunity=opportunities_pb2.Opportunity(
            name="Example rollout", account_id=account.id, amount=common_pb2.Money(currency_code="JPY", amount_minor=3_000_000),
            expected_close_date=close,
        )))
        for stage in pipeline.stages:
            if stage.is_closed or stage.retired or stage.id == deal.stage_id:
                continue
            deal = await deals.MoveOpportunityStage(opportunities_pb2.MoveOpportunityStageRequest(id=deal.id, version=deal.version, stage_id=stage.id))
            print(f"{stage.name}: {deal.probability_percent}% weighted {deal.weighted_amount.amount_minor} {deal.weighted_amount.currency_code}")
        deal = await deals.CloseOpportunity(opportunities_pb2.CloseOpportunityRequest(id=deal.id, version=deal.version, outcome=opportunities_pb2.CLOSE_OUTCOME_WON))
        history = await deals.GetOpportunityHistory(opportunities_pb2.GetOpportunityHistoryRequest(opportunity_id=deal.id))
        for entry in history.entries:
            kind = opportunities_pb2.OpportunityChangeKind.Name(entry.kind).removeprefix("OPPORTUNITY_CHANGE_KIND_")
            print(f"v{entry.version} {kind}: {entry.previous_stage_name or '-'} -> {entry.stage_name} by {entry.changed_by_user_id}")


if __name__ == "__main__":
    asyncio.run(main())
