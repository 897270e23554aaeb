"""A tiny factory of screened records: every declared stage column, null unless a case sets it."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from screening.schema import STAGE_OUTPUTS

NEVER_NULL_DEFAULTS = {
    "record_id": None,  # numbered per record below
    "source_file": "cases.csv",
    "source_row": None,
    "exporter_match_count": 0,
    "importer_match_count": 0,
    "importer_forwarder": False,
    "route_chain_count": 0,
}

ROUTE_REASONS = {
    "direct_russia_belarus": "destination Russian Federation (RU)",
    "via_transshipment_hub": "destination Kazakhstan (KZ) is a transshipment hub listed by "
    "BIS/FinCEN",
    "other": "destination Germany (DE) is neither Russia/Belarus nor a listed transshipment hub",
    "unknown_destination": "destination value 'ATLANTIS' not recognised",
}


def screened(*records: dict[str, Any], upto: str = "link_records") -> pa.Table:
    """Records as the screening stages up to ``upto`` leave them (by default all before
    ``score_risk``): every column :data:`screening.schema.STAGE_OUTPUTS` declares for those
    stages, null (or its never-null default) unless set. A record's ``route`` also sets a
    matching ``route_reason`` unless the case gives one."""
    stages = list(STAGE_OUTPUTS)[: list(STAGE_OUTPUTS).index(upto) + 1]
    fields = [f for stage in stages for f in STAGE_OUTPUTS[stage]]
    rows = []
    for number, record in enumerate(records, start=1):
        unknown = set(record) - {f.name for f in fields}
        if unknown:
            raise KeyError(f"not a screened column: {sorted(unknown)}")
        row = {f.name: NEVER_NULL_DEFAULTS.get(f.name) for f in fields}
        row.update(record_id=f"R{number}", source_row=number + 1)
        if "route" in record and "route_reason" not in record:
            row["route_reason"] = ROUTE_REASONS.get(record["route"])
        row.update(record)
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))


def party(role: str, list_source: str = "us_ofac_sdn", score: float = 95.0) -> dict[str, Any]:
    """A record whose ``role`` party matches a listed entity on ``list_source``."""
    return {
        role: f"{role.upper()} TRADING LLC",
        f"{role}_match_name": f"{role.upper()} TRADING",
        f"{role}_match_list_source": list_source,
        f"{role}_match_source_id": "1234",
        f"{role}_match_score": score,
        f"{role}_match_count": 1,
    }


def chpl(tier: str, hs6: str = "854231") -> dict[str, Any]:
    """A record declared under a CHPL code of ``tier``."""
    return {
        "hs6": hs6,
        "hs_status": "valid",
        "goods_status": "exact",
        "goods_category": "CHPL",
        "goods_tier": tier,
        "chpl_tier": tier,
        "chpl_description": "Electronic integrated circuits: processors and controllers",
    }
