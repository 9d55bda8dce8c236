"""Every `--output-format`: field names and values, SARIF validity, escaping, redaction."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from agentsense.analyzers.model import (
    Applicability,
    Edit,
    Finding,
    Fix,
    Location,
    RelatedLocation,
    Severity,
    Span,
)
from agentsense.analyzers.registry import all_rules
from agentsense.server.cli.formats import Report, get_format
from agentsense.server.cli.formats.github import annotation, escape_data, escape_property
from tests.cli.conftest import MUTABLE, SYNTAX_ERROR, CliRunner, write

SECRET = "sk-proj-u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAj"
SECRET_SOURCE = f'from openai import OpenAI\n\nclient = OpenAI(api_key="{SECRET}")\n'


def _span(row: int, column: int, end_row: int, end_column: int) -> Span:
    return Span(Location(row, column), Location(end_row, end_column))


def _finding(path: str, **changes: Any) -> Finding:
    values: dict[str, Any] = {
        "code": "AGT401",
        "name": "mutable-default-argument",
        "message": "mutable default for `a` is shared between calls",
        "severity": Severity.WARNING,
        "path": path,
        "span": _span(1, 9, 1, 11),
        "noqa_row": 1,
    }
    values.update(changes)
    return Finding(**values)


# -- json / json-lines -----------------------------------------------------------------------


def test_json_fields_mirror_ruff(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    run = cli("check", "--output-format", "json")
    assert run.code == 1
    (finding,) = json.loads(run.out)
    assert finding == {
        "code": "AGT401",
        "name": "mutable-default-argument",
        "message": "mutable default for `a` is shared between calls",
        "severity": "warning",
        "filename": str(project / "a.py"),
        "cell": None,
        "location": {"row": 1, "column": 9},
        "end_location": {"row": 1, "column": 11},
        "fix": {
            "applicability": "safe",
            "message": "Default `a` to None and create it per call",
            "edits": [
                {
                    "content": "None):\n    if a is None:\n        a = []",
                    "location": {"row": 1, "column": 9},
                    "end_location": {"row": 1, "column": 13},
                }
            ],
        },
        "url": None,
        "noqa_row": 1,
        "related": [],
    }


def test_json_without_fix_and_clean_run(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", SYNTAX_ERROR)
    (finding,) = json.loads(cli("check", "--output-format", "json").out)
    assert finding["code"] == "AGT001"
    assert finding["fix"] is None
    assert finding["severity"] == "error"
    write(project, "a.py", "x = 1\n")
    assert json.loads(cli("check", "--output-format", "json").out) == []


def test_json_lines(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    write(project, "b.py", SYNTAX_ERROR)
    lines = cli("check", "--output-format", "json-lines").out.splitlines()
    assert [json.loads(line)["code"] for line in lines] == ["AGT401", "AGT001"]
    assert json.loads(lines[0])["filename"] == str(project / "a.py")


# -- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["full", "concise", "json", "json-lines", "sarif", "github", "junit"]
)
def test_no_format_prints_a_secret(cli: CliRunner, project: Path, name: str) -> None:
    write(project, "client.py", SECRET_SOURCE)
    run = cli("check", "--select", "AGT302", "--output-format", name, "--show-fixes")
    assert run.code == 1
    assert "AGT302" in run.out
    assert SECRET not in run.out
    assert SECRET[:12] not in run.out
    assert "secrets" not in run.out


def test_full_format_redacts_the_finding_secrets_on_every_shown_line(project: Path) -> None:
    secret = "hunter2-correct-horse-battery"
    source = f'PASSWORD = "{secret}"\nprint(PASSWORD)\n'
    path = str(project / "a.py")
    finding = _finding(
        path,
        code="AGT302",
        name="hardcoded-secret",
        message="hard-coded secret",
        span=_span(1, 12, 1, 13 + len(secret) + 1),
        secrets=(secret,),
        fix=Fix(
            "Read it from the environment", (Edit(_span(1, 12, 1, 43), "x"),), Applicability.UNSAFE
        ),
    )
    report = Report((finding,), project, {path: source}, show_fixes=True)
    text = get_format("full").render(report)
    plain = text if isinstance(text, str) else text.plain
    assert secret not in plain
    assert 'PASSWORD = "hunt' in plain  # masked, still recognisable
    assert "(unsafe fix)" in plain
    caret = next(line for line in plain.splitlines() if "^" in line)
    shown = next(line for line in plain.splitlines() if line.startswith("1 | "))
    # The carets still sit under the (masked) string literal.
    assert shown[caret.index("^")] == '"'


# -- full / concise details --------------------------------------------------------------------


def test_full_format_multiline_span_and_related(project: Path) -> None:
    path = str(project / "a.py")
    source = "\n".join(f"line_{i} = {i}" for i in range(1, 21)) + "\n"
    other = str(project / "b.py")
    finding = _finding(
        path,
        span=_span(2, 1, 15, 8),
        related=(RelatedLocation(other, _span(3, 5, 3, 9), "first registered here"),),
    )
    report = Report((finding,), project, {path: source})
    rendered = get_format("full").render(report)
    plain = rendered if isinstance(rendered, str) else rendered.plain
    assert " 2 | line_2 = 2" in plain
    assert "15 | line_15 = 15" in plain
    assert "line_8 = 8" not in plain  # the middle of a long span is elided
    assert "= note: b.py:3:5: first registered here" in plain


def test_full_format_carets_with_tabs_and_wide_characters(project: Path) -> None:
    path = str(project / "a.py")
    source = "\tx = '日本'; y = []\n"
    finding = _finding(path, span=_span(1, 16, 1, 18))  # the `[]`
    rendered = get_format("full").render(Report((finding,), project, {path: source}))
    plain = rendered if isinstance(rendered, str) else rendered.plain
    shown = next(line for line in plain.splitlines() if line.startswith("1 | "))
    caret = next(line for line in plain.splitlines() if "^" in line)
    assert "\t" not in shown
    # Carets count terminal cells: the tab is 4 of them, each CJK character 2.
    assert caret.count("^") == 2
    assert cell_len(shown[: shown.index("[")]) == caret.index("^")


def test_concise_format(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    write(project, "b.py", SYNTAX_ERROR)
    run = cli("check", "--output-format", "concise")
    assert run.out.splitlines()[:2] == [
        "a.py:1:9: AGT401 [*] mutable default for `a` is shared between calls",
        "b.py:1:12: AGT001 syntax error: invalid syntax",
    ]
    assert "Found 2 errors." in run.out


# -- sarif -------------------------------------------------------------------------------------


def _sarif_schema() -> dict[str, Any] | None:
    """The official SARIF 2.1.0 schema, when this machine has a copy.

    No PyPI package ships it, so point AGENTSENSE_SARIF_SCHEMA at a downloaded
    `sarif-schema-2.1.0.json` (from oasis-tcs/sarif-spec) to validate against it too.
    """
    candidate = os.environ.get("AGENTSENSE_SARIF_SCHEMA")
    if candidate and Path(candidate).is_file():
        data: dict[str, Any] = json.loads(Path(candidate).read_text(encoding="utf-8"))
        return data
    return None


def _check_region(region: dict[str, Any]) -> None:
    assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
    assert all(isinstance(v, int) and v >= 1 for v in region.values())
    assert (region["startLine"], region["startColumn"]) <= (region["endLine"], region["endColumn"])


def test_sarif_is_valid_sarif_2_1_0(project: Path) -> None:
    path = str(project / "src" / "a b.py")
    fix = Fix("Default `a` to None", (Edit(_span(1, 9, 1, 11), "None"),), Applicability.SAFE)
    findings = (
        _finding(path, fix=fix),
        _finding(
            path,
            code="AGT001",
            name="syntax-error",
            message="syntax error",
            severity=Severity.ERROR,
            span=_span(3, 1, 3, 2),
            related=(RelatedLocation(str(project / "b.py"), _span(1, 1, 1, 4), "see here"),),
        ),
        _finding(
            "/elsewhere/c.py", code="AGT900", name="unused-suppression", severity=Severity.INFO
        ),
    )
    log = json.loads(get_format("sarif").render(Report(findings, project)))  # type: ignore[arg-type]

    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "agentsense"
    assert "informationUri" not in driver  # no dead links: there is no project site
    assert driver["version"]
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [r.code for r in all_rules()]
    for rule in rules:
        assert set(rule) >= {
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "defaultConfiguration",
        }
        assert "helpUri" not in rule
        assert f"`agentsense rule {rule['id']}`" in rule["help"]["markdown"]
        assert set(rule["help"]) == {"text", "markdown"}
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.as_uri() + "/"
    first, second, third = run["results"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        _check_region(result["locations"][0]["physicalLocation"]["region"])
    assert [r["level"] for r in run["results"]] == ["warning", "error", "note"]
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/a%20b.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 1, "startColumn": 9, "endLine": 1, "endColumn": 11}
    (sarif_fix,) = first["fixes"]
    assert sarif_fix["description"]["text"] == "Default `a` to None"
    (change,) = sarif_fix["artifactChanges"]
    assert change["replacements"][0]["insertedContent"]["text"] == "None"
    _check_region(change["replacements"][0]["deletedRegion"])
    (related,) = second["relatedLocations"]
    assert related["message"]["text"] == "see here"
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "b.py"
    # Outside the working directory: an absolute file URI, no base.
    assert third["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///elsewhere/c.py"
    }

    schema = _sarif_schema()
    if schema is not None:
        import jsonschema

        jsonschema.validate(log, schema)


def test_sarif_from_the_command_line(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    run = cli("check", "--output-format", "sarif")
    assert run.code == 1
    log = json.loads(run.out)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "AGT401"
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": True}]
    schema = _sarif_schema()
    if schema is not None:
        import jsonschema

        jsonschema.validate(log, schema)


# -- github ------------------------------------------------------------------------------------


def test_github_escaping() -> None:
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("dir,x/a:b%.py\n") == "dir%2Cx/a%3Ab%25.py%0A"


def test_github_annotation_per_severity(project: Path) -> None:
    path = str(project / "we,ird:dir" / "a.py")
    report = Report((), project)
    error = _finding(path, severity=Severity.ERROR, message="50% of\nmessages: bad, really")
    assert annotation(error, report) == (
        "::error file=we%2Cird%3Adir/a.py,line=1,col=9,endLine=1,endColumn=11,"
        "title=agentsense (AGT401)::50%25 of%0Amessages: bad, really"
    )
    assert annotation(_finding(path), report).startswith("::warning ")
    assert annotation(_finding(path, severity=Severity.INFO), report).startswith("::notice ")
    assert annotation(_finding(path, severity=Severity.HINT), report).startswith("::notice ")


def test_github_from_the_command_line(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE)
    run = cli("check", "--output-format", "github")
    assert run.out == (
        "::warning file=a.py,line=1,col=9,endLine=1,endColumn=11,title=agentsense (AGT401)"
        "::mutable default for `a` is shared between calls\n"
    )


# -- junit ---------------------------------------------------------------------------------------


def test_junit_parses_one_suite_per_file(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", MUTABLE + "x = 1  # noqa: AGT401\n")
    write(project, "b.py", SYNTAX_ERROR)
    run = cli("check", "--output-format", "junit")
    assert run.code == 1
    root = ET.fromstring(run.out.encode())
    assert root.tag == "testsuites"
    assert root.get("tests") == "3" and root.get("failures") == "3"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["a.py", "b.py"]
    cases = suites[0].findall("testcase")
    assert [c.get("name") for c in cases] == ["agentsense.AGT401", "agentsense.AGT900"]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "mutable default for `a` is shared between calls"
    assert failure.text == "a.py:1:9: AGT401 mutable default for `a` is shared between calls"


def test_junit_clean_run_and_control_characters(cli: CliRunner, project: Path) -> None:
    write(project, "a.py", "x = 1\n")
    root = ET.fromstring(cli("check", "--output-format", "junit").out.encode())
    assert root.get("failures") == "0"
    path = str(project / "a.py")
    finding = _finding(path, message="bad \x00 byte & <tag>")
    rendered = get_format("junit").render(Report((finding,), project))
    parsed = ET.fromstring(str(rendered).encode())
    case = parsed.find("testsuite/testcase/failure")
    assert case is not None and case.get("message") == "bad \ufffd byte & <tag>"


def test_every_output_format_choice_is_a_format() -> None:
    """The parser lists the formats without importing them: the two lists must agree."""
    from agentsense.server.cli.formats import FORMATS
    from agentsense.server.cli.parser import FORMAT_NAMES

    assert tuple(FORMATS) == FORMAT_NAMES
    for name in FORMAT_NAMES:
        assert get_format(name).name == name
        assert callable(get_format(name).render)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"complete": False},
        {"quiet": True},
        {"fix_mode": True},
        {"quiet": True, "complete": False},
    ],
)
def test_a_clean_run_s_plain_summary_is_the_styled_one_s_text(changes: dict[str, Any]) -> None:
    from agentsense.server.cli.formats import clean_summary, summary

    report = Report(findings=(), cwd=Path.cwd(), **changes)
    plain = clean_summary(report)
    assert plain is not None
    assert plain == summary(report).plain


def test_a_run_that_found_or_fixed_something_has_no_plain_summary(project: Path) -> None:
    from agentsense.server.cli.formats import clean_summary

    finding = Finding(
        code="AGT401",
        name="mutable-default-argument",
        message="m",
        severity=Severity.WARNING,
        path=str(project / "a.py"),
        span=Span(Location(1, 1), Location(1, 2)),
    )
    assert clean_summary(Report(findings=(finding,), cwd=project)) is None
    assert clean_summary(Report(findings=(), cwd=project, fix_mode=True, fixed=1)) is None


def test_the_check_module_s_notebook_suffix_is_the_notebook_reader_s() -> None:
    from agentsense.analyzers import notebook
    from agentsense.server.cli import check

    assert check.NOTEBOOK_SUFFIX == notebook.NOTEBOOK_SUFFIX
