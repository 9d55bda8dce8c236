"""A generated corpus of user-defined registries: each program imported for real and linted.

`generate(count, seed)` draws programs from a grammar of registry idioms: the mechanism
(metaclass `__new__`, `__init_subclass__` with or without class keywords, class decorator,
explicit `register(X)` / `TOOLS[key] = X` at module level, function decorator and decorator
factory), the guard (none, `hasattr`, a required list, a missing-list comprehension,
`assert`, `getattr(..., None)`, a helper, `try` around it, conditions on the environment),
the skip of bases (`if not bases`, the base's name, `__abstract__` in the namespace), the
store (subscript, `update`, a helper, a class attribute, a duplicate check) and the name
(class attribute, enum member `.value`, `namespace.get`, `__name__`, a class keyword).

`import_all` runs every program in one child process, one top-level statement at a time
(an exception in one class statement does not hide the next ones, as the linter judges each
class on its own), and records per subject (class or function): whether a statement about
it raised, and the (registry, key) pairs it was stored under. `judge` compares that with
the linter: a refusal (AGT216) or a registered name is a verdict; a wrong verdict is a
disagreement; a subject that raises or registers without a verdict is a silence.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst

from agentsense.analyzers.detect.registrations import registrations_of
from agentsense.analyzers.facts import ModuleFacts
from agentsense.analyzers.rules.tools.duplicate_tool_name import clashes, duplicate_groups
from tests.helpers import lint_with

MECHANISMS = (
    "metaclass",
    "init_subclass",
    "init_subclass_keyword",
    "class_decorator",
    "explicit_call",
    "explicit_subscript",
    "function_decorator",
    "decorator_factory",
)
CLASS_GUARDS = (
    "none",
    "hasattr",
    "required_loop",
    "missing_list",
    "assert",
    "getattr_none",
    "helper",
    "helper_in_try",
    "caught",
    "env_then_hasattr",
    "env_and_hasattr",
    "callable",
    "isinstance_name",
)
STORES = ("subscript", "update", "helper", "class_attribute", "refuse_duplicates", "try_finally")
CLASS_NAMES = ("Search", "Fetch", "Lookup", "Shell")
TOOL_NAMES = ("search", "fetch", "web search")
INTERNAL_WORDS = ("Value", "_Bound", "UNKNOWN", "MISSING", "Opaque", "EnumMember", "Raised")


@dataclass(frozen=True)
class Program:
    id: str
    source: str
    subjects: tuple[str, ...]  # the classes / functions it may register


@dataclass
class Verdicts:
    """The linter's view of one subject."""

    refused: bool = False
    message: str | None = None  # the guard's own message (None: the linter's wording)
    names: set[str] = field(default_factory=set)  # registered under these (known) names
    duplicate: bool = False  # AGT212 on it


def _indent(text: str, prefix: str) -> str:
    return textwrap.indent(textwrap.dedent(text).strip("\n"), prefix)


class _Builder:
    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        self.index = index
        self.mechanism = rng.choice(MECHANISMS)
        self.functions = self.mechanism in ("function_decorator", "decorator_factory")
        self.use_enum = rng.random() < 0.3
        self.attr = rng.choice(("execute", "description"))

    # -- pieces ----------------------------------------------------------------------
    def guard(self, subject: str, meta: bool) -> str:
        kind = self.rng.choice(CLASS_GUARDS + (("namespace",) if meta else ()))
        a = self.attr
        name = f"{subject}.__name__" if not meta else "name"
        return {
            "none": "",
            "hasattr": f"""
                if not hasattr({subject}, "{a}"):
                    raise TypeError(f"{{{name}}} lacks {a}")
                """,
            "required_loop": f"""
                for attr in REQUIRED:
                    if not hasattr({subject}, attr):
                        raise TypeError(f"{{{name}}} lacks {{attr}}")
                """,
            "missing_list": f"""
                missing = [a for a in REQUIRED if not hasattr({subject}, a)]
                if missing:
                    raise TypeError(f"{{{name}}} is missing {{', '.join(missing)}}")
                """,
            "assert": f"""
                assert hasattr({subject}, "{a}"), f"{{{name}}} lacks {a}"
                """,
            "getattr_none": f"""
                if getattr({subject}, "{a}", None) is None:
                    raise TypeError(f"{{{name}}} lacks {a}")
                """,
            "helper": f"""
                _require({subject}, "{a}")
                """,
            "helper_in_try": f"""
                try:
                    _require({subject}, "{a}")
                except KeyError:
                    pass
                """,
            "caught": f"""
                try:
                    _require({subject}, "{a}")
                except TypeError:
                    pass
                """,
            "env_then_hasattr": f"""
                if os.environ.get("AGENTSENSE_CORPUS_STRICT"):
                    raise TypeError("strict mode")
                if not hasattr({subject}, "{a}"):
                    raise TypeError(f"{{{name}}} lacks {a}")
                """,
            "env_and_hasattr": f"""
                if os.environ.get("AGENTSENSE_CORPUS_STRICT") and not hasattr({subject}, "{a}"):
                    raise TypeError(f"{{{name}}} lacks {a}")
                """,
            "callable": f"""
                if not callable(getattr({subject}, "execute", None)):
                    raise TypeError(f"{{{name}}} needs an execute method")
                """,
            "isinstance_name": f"""
                if not isinstance(getattr({subject}, "name", None), str):
                    raise TypeError(f"{{{name}}} needs a string name")
                """,
            "namespace": f"""
                if "{a}" not in namespace:
                    raise TypeError(f"{{name}} must define {a}")
                """,
        }[kind]

    def key(self, subject: str, meta: bool, keyword: bool) -> str:
        if keyword:
            return "tool"
        choices = ["attr", "getattr_default", "dunder_name"]
        choices.append("namespace_get" if meta else "dict_get")
        kind = self.rng.choice(choices)
        return {
            "attr": f"{subject}.name",
            "getattr_default": f'getattr({subject}, "name", {subject}.__name__)',
            "dunder_name": f"{subject}.__name__.lower()",
            "namespace_get": 'namespace.get("name", name.lower())',
            "dict_get": f'{subject}.__dict__.get("name", {subject}.__name__.lower())',
        }[kind]

    def store(self, subject: str, key: str, can_use_class_attr: bool) -> str:
        kinds = [s for s in STORES if can_use_class_attr or s != "class_attribute"]
        kind = self.rng.choice(kinds)
        return {
            "subscript": f"TOOLS[{key}] = {subject}",
            "update": f"TOOLS.update({{{key}: {subject}}})",
            "helper": f"_store({key}, {subject})",
            "class_attribute": f"Base.registry[{key}] = {subject}",
            "refuse_duplicates": f"""
                if {key} in TOOLS:
                    raise ValueError("duplicate tool name")
                TOOLS[{key}] = {subject}
                """,
            "try_finally": f"""
                try:
                    TOOLS[{key}] = {subject}
                finally:
                    pass
                """,
        }[kind]

    def tool_name(self) -> str:
        name = self.rng.choice(TOOL_NAMES)
        if self.use_enum:
            member = {"search": "SEARCH", "fetch": "FETCH", "web search": "WEB"}[name]
            return f"Names.{member}.value"
        return repr(name)

    def subject_body(self, abstract_flag: str | None) -> str:
        lines: list[str] = []
        if abstract_flag is not None and self.rng.random() < 0.15:
            lines.append(f"{abstract_flag} = True")
        if self.rng.random() < 0.8:
            lines.append(f"name = {self.tool_name()}")
        if self.rng.random() < 0.7:
            lines.append('description = "Does a thing."')
        if self.rng.random() < 0.7:
            lines.append("def execute(self, query: str) -> str:\n    return query")
        return "\n".join(lines) or "pass"

    # -- program ---------------------------------------------------------------------
    def build(self) -> Program:
        rng = self.rng
        parts = [
            "import inspect\nimport os\nfrom enum import Enum\n",
            "TOOLS = {}\nREQUIRED = ('name', 'description', 'execute')\n",
            """
            class Names(str, Enum):
                SEARCH = "search"
                FETCH = "fetch"
                WEB = "web search"
            """,
            """
            def _require(subject, attr):
                if not hasattr(subject, attr):
                    raise TypeError(f"{subject.__name__} lacks {attr}")

            def _store(key, value):
                TOOLS[key] = value
            """,
        ]
        count = rng.randint(1, 3)
        subjects = tuple(rng.sample(CLASS_NAMES, count))
        if self.functions:
            parts.append(self._functions(subjects))
        else:
            parts.append(self._classes(subjects))
        source = "\n\n".join(textwrap.dedent(p).strip("\n") for p in parts) + "\n"
        return Program(f"gen{self.index:05d}-{self.mechanism}", source, subjects)

    def _hook_lines(self, subject: str, meta: bool, keyword: bool) -> str:
        key = self.key(subject, meta, keyword)
        store = self.store(subject, key, self.mechanism.startswith("init_subclass"))
        guard = self.guard(subject, meta)
        return "\n".join(
            textwrap.dedent(piece).strip("\n") for piece in (guard, store) if piece.strip()
        )

    def _classes(self, subjects: Sequence[str]) -> str:
        rng = self.rng
        mechanism = self.mechanism
        out: list[str] = []
        abstract_flag: str | None = None
        if mechanism == "metaclass":
            skip = rng.choice(("not_bases", "base_name", "dunder_abstract", "wrapped"))
            abstract_flag = "__abstract__" if skip in ("dunder_abstract", "wrapped") else None
            body = self._hook_lines("cls", meta=True, keyword=False)
            if skip == "wrapped":
                hook = 'if name != "Base" and not namespace.get("__abstract__", False):\n'
                hook += _indent(body, "    ")
            else:
                test = {
                    "not_bases": "not bases",
                    "base_name": 'name == "Base"',
                    "dunder_abstract": 'namespace.get("__abstract__", False)',
                }[skip]
                hook = f"if {test}:\n    return cls\n{body}"
                if skip == "dunder_abstract":
                    abstract_flag = "__abstract__"
            base_body = "__abstract__ = True" if abstract_flag else "pass"
            out.append(
                "class Meta(type):\n"
                "    def __new__(mcs, name, bases, namespace, **kwargs):\n"
                "        cls = super().__new__(mcs, name, bases, namespace, **kwargs)\n"
                + _indent(hook, "        ")
                + "\n        return cls\n\n"
                f"class Base(metaclass=Meta):\n    {base_body}\n"
            )
            if skip == "not_bases":
                abstract_flag = None
        elif mechanism in ("init_subclass", "init_subclass_keyword"):
            keyword = mechanism == "init_subclass_keyword"
            abstract_flag = "abstract" if rng.random() < 0.5 else None
            skip = 'if cls.__dict__.get("abstract", False):\n    return\n' if abstract_flag else ""
            body = skip + self._hook_lines("cls", meta=False, keyword=keyword)
            params = "*, tool, " if keyword else ""
            if keyword and rng.random() < 0.3:
                params = "*, tool=None, "
                body = "if tool is None:\n    return\n" + body
            out.append(
                "class Base:\n"
                "    registry = {}\n\n"
                f"    def __init_subclass__(cls, {params}**kwargs):\n"
                "        super().__init_subclass__(**kwargs)\n" + _indent(body, "        ") + "\n"
            )
        else:
            body = self._hook_lines("cls", meta=False, keyword=False)
            out.append("def register(cls):\n" + _indent(body, "    ") + "\n    return cls\n")
        for subject in subjects:
            header = f"class {subject}"
            decorator = ""
            if mechanism in ("metaclass", "init_subclass"):
                header += "(Base)"
            elif mechanism == "init_subclass_keyword":
                if rng.random() < 0.8:
                    header += f"(Base, tool={self.tool_name()})"
                else:
                    header += "(Base)"
            elif mechanism == "class_decorator":
                decorator = "@register\n"
            out.append(
                f"{decorator}{header}:\n" + _indent(self.subject_body(abstract_flag), "    ")
            )
        if mechanism == "explicit_call":
            out.append("\n".join(f"register({s})" for s in subjects))
        elif mechanism == "explicit_subscript":
            out.append("\n".join(f"TOOLS[{self.tool_name()}] = {s}" for s in subjects))
        return "\n\n".join(out)

    def _functions(self, subjects: Sequence[str]) -> str:
        rng = self.rng
        guard = rng.choice(("none", "docstring", "helper_doc"))
        guard_text = {
            "none": "",
            "docstring": 'if not fn.__doc__:\n    raise ValueError(f"{fn.__name__} needs a docstring")\n',
            "helper_doc": "_require(fn, '__doc__')\n",
        }[guard]
        out: list[str] = []
        if self.mechanism == "function_decorator":
            key = rng.choice(("fn.__name__", 'fn.__name__.replace("_", " ")'))
            store = rng.choice((f"TOOLS[{key}] = fn", f"_store({key}, fn)"))
            out.append(
                "def tool(fn):\n" + _indent(guard_text + store, "    ") + "\n    return fn\n"
            )
        else:
            store = rng.choice(
                ("TOOLS[name or fn.__name__] = fn", "_store(name or fn.__name__, fn)")
            )
            out.append(
                "def tool(name=None):\n"
                "    def deco(fn):\n" + _indent(guard_text + store, "        ") + "\n"
                "        return fn\n    return deco\n"
            )
        for subject in subjects:
            function = subject.lower()
            deco = "@tool"
            if self.mechanism == "decorator_factory":
                deco = f"@tool(name={self.tool_name()})" if rng.random() < 0.6 else "@tool()"
            doc = '    """Do a thing."""\n' if rng.random() < 0.7 else ""
            out.append(f"{deco}\ndef {function}(query: str) -> str:\n{doc}    return query\n")
        return "\n\n".join(out)


def generate(count: int, seed: int = 11) -> list[Program]:
    """`count` programs, the same ones for the same seed."""
    rng = random.Random(seed)
    programs = []
    for index in range(count):
        program = _Builder(rng, index).build()
        if program.id.endswith(("function_decorator", "decorator_factory")):
            # Function subjects are the lower-case names of the drawn ones.
            program = Program(
                program.id, program.source, tuple(s.lower() for s in program.subjects)
            )
        programs.append(program)
    return programs


_CHILD = textwrap.dedent(
    """
    import ast, builtins, json, os, sys, types

    os.environ.pop("AGENTSENSE_CORPUS_STRICT", None)

    def containers(ns, modname):
        found = {}
        for key, value in list(ns.items()):
            if isinstance(value, dict) and not key.startswith("__"):
                found[key] = value
            elif isinstance(value, type) and value.__module__ == modname:
                for attr, inner in vars(value).items():
                    if isinstance(inner, dict) and not attr.startswith("__"):
                        found[f"{key}.{attr}"] = inner
        return found

    def run(path, modname, subjects):
        source = open(path, encoding="utf-8").read()
        tree = ast.parse(source)
        ns = {"__name__": modname, "__builtins__": builtins}
        outcome = {s: {"raised": False, "stores": []} for s in subjects}
        seen = {}
        for stmt in tree.body:
            names = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
            if isinstance(stmt, (ast.ClassDef, ast.FunctionDef)):
                names.add(stmt.name)
            try:
                exec(compile(ast.Module([stmt], []), path, "exec"), ns)
            except Exception as error:
                for subject in subjects:
                    if subject in names:
                        outcome[subject]["raised"] = True
                        outcome[subject]["error"] = f"{type(error).__name__}: {error}"
            for cname, container in containers(ns, modname).items():
                for key, value in list(container.items()):
                    marker = (cname, repr(key))
                    if seen.get(marker) is value:
                        continue
                    seen[marker] = value
                    vname = getattr(value, "__name__", None)
                    if vname in outcome and ns.get(vname) is value and isinstance(key, str):
                        outcome[vname]["stores"].append([cname, key])
        return outcome

    programs = json.loads(sys.stdin.read())
    sys.path.insert(0, sys.argv[1])
    results = {}
    for index, (pid, subjects) in enumerate(programs):
        path = os.path.join(sys.argv[1], f"corpus_{index}.py")
        results[pid] = run(path, f"corpus_{index}", subjects)
    print(json.dumps(results))
    """
)


def import_all(programs: Sequence[Program], folder: Path) -> dict[str, dict[str, Any]]:
    """Import every program in one child process; per program, per subject: what happened."""
    for index, program in enumerate(programs):
        (folder / f"corpus_{index}.py").write_text(program.source, encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder)],
        input=json.dumps([[p.id, list(p.subjects)] for p in programs]),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=folder,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    outcomes: dict[str, dict[str, Any]] = json.loads(completed.stdout)
    return outcomes


def lint_verdicts(program: Program) -> tuple[dict[str, Verdicts], list[str]]:
    """The linter's verdict per subject, and any message that shows an internal value."""
    module = cst.parse_module(program.source)
    verdicts = {subject: Verdicts() for subject in program.subjects}
    for reg in registrations_of(ModuleFacts(module)):  # (one extraction: cached per module)
        subject = reg.definition.name.value
        if subject not in verdicts:
            continue
        guards = [p for p in reg.problems if p.origin == "guard"]
        if guards:
            verdicts[subject].refused = True
            if "is refused by" not in guards[0].message:
                verdicts[subject].message = guards[0].message
        elif reg.name is not None and reg.registry is not None:
            verdicts[subject].names.add(reg.name)
    registrations = registrations_of(ModuleFacts(module))
    for group in duplicate_groups(registrations):
        for reg in group:
            if clashes(reg, group) and reg.definition.name.value in verdicts:
                verdicts[reg.definition.name.value].duplicate = True
    findings = lint_with(program.source, ("AGT2",))
    leaks = [f.message for f in findings if any(w in f.message for w in INTERNAL_WORDS)]
    return verdicts, leaks


@dataclass
class Report:
    programs: int = 0
    subjects: int = 0  # subjects that raise or register on import
    spoken: int = 0  # of those, with a linter verdict
    agreed: int = 0
    disagreements: list[str] = field(default_factory=list)
    silent_programs: int = 0  # programs with at least one such subject left silent
    duplicates_true: int = 0
    duplicates_found: int = 0
    leaks: list[str] = field(default_factory=list)
    silences: list[str] = field(default_factory=list)
    messages: int = 0  # refusals whose message the linter states
    same_messages: int = 0  # of those, equal to the exception's message

    def lines(self) -> list[str]:
        spoken_share = self.spoken / self.subjects if self.subjects else 0.0
        agree_share = self.agreed / self.spoken if self.spoken else 1.0
        silent_share = self.silent_programs / self.programs if self.programs else 0.0
        return [
            f"programs: {self.programs}",
            f"subjects that raise or register on import: {self.subjects}",
            f"linter speaks on {self.spoken} ({spoken_share:.1%}); agrees on {self.agreed} "
            f"({agree_share:.2%} of those)",
            f"programs where the linter is silent on some subject: {self.silent_programs} "
            f"({silent_share:.1%})",
            f"same-name registrations (import): {self.duplicates_true}, "
            f"reported as AGT212: {self.duplicates_found}",
            f"refusals with the guard's message: {self.messages}, equal to the exception's: "
            f"{self.same_messages}",
            f"disagreements: {len(self.disagreements)}; messages with internal values: "
            f"{len(self.leaks)}",
        ]


def judge(programs: Sequence[Program], outcomes: dict[str, dict[str, Any]]) -> Report:
    report = Report()
    for program in programs:
        report.programs += 1
        verdicts, leaks = lint_verdicts(program)
        report.leaks.extend(leaks)
        outcome = outcomes[program.id]
        # Same-name registrations on import: a (registry, key) taken by two subjects.
        owners: dict[tuple[str, str], set[str]] = {}
        for subject, facts in outcome.items():
            for container, key in facts["stores"]:
                owners.setdefault((container, key), set()).add(subject)
        duplicated = {s for subjects in owners.values() if len(subjects) > 1 for s in subjects}
        # A registry that refuses a taken name raises instead: both sides are the duplicate.
        refusing = any("duplicate tool name" in f.get("error", "") for f in outcome.values())
        silent = False
        for subject in program.subjects:
            facts = outcome[subject]
            verdict = verdicts[subject]
            keys = {key for _, key in facts["stores"]}
            where = f"{program.id}:{subject}"
            if verdict.duplicate and subject not in duplicated and not refusing:
                report.disagreements.append(f"{where}: AGT212 but no same-name registration")
            if subject in duplicated:
                report.duplicates_true += 1
                report.duplicates_found += verdict.duplicate
            if not facts["raised"] and not keys:
                if verdict.refused or verdict.names:
                    report.disagreements.append(f"{where}: a verdict on a subject that is skipped")
                continue
            report.subjects += 1
            if not verdict.refused and not verdict.names and not verdict.duplicate:
                silent = True
                report.silences.append(f"{where}: import {facts}")
                continue
            report.spoken += 1
            if facts["raised"]:
                right = verdict.refused or (verdict.duplicate and refusing)
            else:
                right = not verdict.refused and verdict.names <= keys and bool(verdict.names)
            if right and facts["raised"] and verdict.message is not None:
                report.messages += 1
                error = facts.get("error", "")
                report.same_messages += error.split(": ", 1)[-1] == verdict.message
            if right:
                report.agreed += 1
            else:
                report.disagreements.append(
                    f"{where}: import {facts}, linter refused={verdict.refused} "
                    f"names={sorted(verdict.names)}"
                )
        report.silent_programs += silent
    return report
