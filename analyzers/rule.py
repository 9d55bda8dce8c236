"""The base class every rule derives from, with its embedded examples and fix plans."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst
from pydantic import BaseModel, ConfigDict

from agentsense.analyzers.fixes import AddImport, Change, FixPlan, InsertStatements, Replace
from agentsense.analyzers.model import Severity

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext
    from agentsense.analyzers.project_model import Project, ProjectReport

# Fix plans are defined with the code that turns them into edits; rules take them from here.
__all__ = [
    "AddImport",
    "Change",
    "Clean",
    "FixPlan",
    "Flagged",
    "InsertStatements",
    "NoOptions",
    "Replace",
    "Rule",
    "RuleOptions",
]


@dataclass(frozen=True, slots=True)
class Flagged:
    """Source a rule must flag: one finding (or `count`) whose range starts at `line`/`column`.

    `fixed` is the source after applying the finding's fix (safe or unsafe); it is required
    when the rule offers a fix for this example.
    """

    code: str
    line: int
    column: int | None = None
    message: str | None = None  # a substring the message must contain
    fixed: str | None = None
    count: int = 1
    path: str = "example.py"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")

    @property
    def fixed_source(self) -> str | None:
        return None if self.fixed is None else textwrap.dedent(self.fixed).lstrip("\n")


@dataclass(frozen=True, slots=True)
class Clean:
    """Source a rule must not flag (near-misses included)."""

    code: str
    path: str = "example.py"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


class RuleOptions(BaseModel):
    """Base for per-rule options (`[tool.agentsense.rule-options.AGTxxx]`)."""

    # defer_build: a schema is built when options are first validated (a config file sets
    # them), not when the rules are imported; unset options are constructed from defaults.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class NoOptions(RuleOptions):
    """The options of a rule that has none."""


class Rule:
    """One lint rule. Subclasses define `visit_<Node>` / `leave_<Node>` methods.

    A fresh instance is made for every file, so instances may keep per-file state.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    rationale: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    fix_description: ClassVar[str | None] = None
    options_model: ClassVar[type[RuleOptions]] = NoOptions
    flagged: ClassVar[Sequence[Flagged]] = ()
    clean: ClassVar[Sequence[Clean]] = ()
    # The rules enabled when this rule's examples run as tests (default: only this one).
    example_select: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, context: FileContext, options: RuleOptions) -> None:
        self.context = context
        self.options = options

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        fix: FixPlan | None = None,
        secrets: Sequence[str] = (),
        end_node: cst.CSTNode | None = None,
        related: Sequence[tuple[cst.CSTNode, str]] = (),
    ) -> None:
        """Report a finding on `node` (through `end_node` when given).

        `related`: other nodes of this file that explain it, each with a short message.
        """
        self.context.report(
            self.code,
            node,
            message,
            fix=fix,
            secrets=secrets,
            end_node=end_node,
            related=related,
        )

    @classmethod
    def check_project(cls, project: Project) -> Iterable[ProjectReport]:
        """Findings that need every file of the project; cross-file rules override this.

        Runs after every file was analysed (`agentsense check`; in the editor, on every
        change to the workspace index) over what each file contributed, never source text.
        Each report's file's configuration decides as for a file's findings: the rule
        enabled there, its severity, noqa comments. Keep the related locations of each
        report bounded: a name shared by N files must not cost N findings times N.
        """
        return ()

    @classmethod
    def checks_project(cls) -> bool:
        """Whether the rule overrides `check_project`."""
        return any("check_project" in vars(base) for base in cls.__mro__ if base is not Rule)

    @classmethod
    def handlers(cls) -> dict[str, list[str]]:
        """Map 'visit'/'leave' to the node class names this rule handles."""
        found: dict[str, list[str]] = {"visit": [], "leave": []}
        for attr in dir(cls):
            for kind in ("visit", "leave"):
                prefix = kind + "_"
                if attr.startswith(prefix) and callable(getattr(cls, attr)):
                    found[kind].append(attr[len(prefix) :])
        return found


Handler = Callable[[cst.CSTNode], None]
