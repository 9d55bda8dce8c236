"""The `json-lines` format: one JSON object per finding per line (fields as in `json`)."""

from __future__ import annotations

import json

from agentsense.server.cli.formats import Report
from agentsense.server.cli.formats.json_array import finding_to_json


def render(report: Report) -> str:
    return "".join(
        json.dumps(finding_to_json(f, report), ensure_ascii=False) + "\n" for f in report.findings
    )
