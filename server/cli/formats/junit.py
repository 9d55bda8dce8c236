"""The `junit` format: JUnit XML, one test suite per file and a failing test case per finding."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from agentsense.server.cli.formats import Report, display_path, position

# Characters XML 1.0 cannot carry at all, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def render(report: Report) -> str:
    findings = report.findings
    root = ET.Element(
        "testsuites",
        name="agentsense",
        tests=str(max(len(findings), 1)),
        failures=str(len(findings)),
        errors="0",
    )
    if not findings:
        suite = ET.SubElement(root, "testsuite", name="agentsense", tests="1", failures="0")
        ET.SubElement(suite, "testcase", name="No errors found", classname="agentsense")
    for path, group in groupby(findings, key=lambda f: f.path):
        items = list(group)
        shown = _clean(display_path(path, report.cwd))
        suite = ET.SubElement(
            root,
            "testsuite",
            name=shown,
            tests=str(len(items)),
            failures=str(len(items)),
            errors="0",
        )
        for finding in items:
            start = finding.span.start
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"agentsense.{finding.code}",
                classname=shown,
                file=shown,
                line=str(start.row),
            )
            failure = ET.SubElement(
                case,
                "failure",
                message=_clean(finding.message),
                type=f"{finding.code} {finding.name}",
            )
            failure.text = _clean(f"{shown}:{position(finding)}: {finding.code} {finding.message}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
