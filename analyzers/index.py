"""One lazy index per file of the facts several rules walk for: a scope's own nodes, the
nodes of one kind in it, its first assignment of each name, its blocks, what detection
modules derive from a scope (`derived`: dataflow's assignments), and cheap word checks on
the source text.

Every fact is derived from the module's tree on first use and kept for the rest of the file
(`FileContext.index`), so a function body walked by five rules is walked once. Nothing here
depends on the engine's walk: the incremental engine, which walks only some statements,
gets the same answers.

Node kinds are told apart by exact type through small caches (`type(node)`), not by
`isinstance`: every libcst node class is an `ABC`, and an `isinstance` against one goes
through `ABCMeta.__instancecheck__`, the single largest cost of the rules' sub-walks.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection
from typing import TypeVar, cast

import libcst as cst

from agentsense.analyzers.walk import PushChildren, child_pusher, statement_child_pusher

N = TypeVar("N", bound=cst.CSTNode)
T = TypeVar("T")

# Exact types: the parser makes no subclasses of these.
_SCOPES = frozenset({cst.FunctionDef, cst.Lambda, cst.ClassDef})
# Node type -> `walk.child_pusher(type)`, kept here to save a call per node.
_PUSHERS: dict[type, PushChildren | None] = {}


def _missing(node: cst.CSTNode, stack: list[cst.CSTNode]) -> None:
    """The "not looked up yet" sentinel of `_PUSHERS` (None means "no children")."""


# The prefix `facts.qualified_name` gives names defined at module level in this file.
_LOCAL = "<local>."
_WORD = re.compile(r"[^\W\d]\w*")
# type -> whether it is a subclass of a tuple of kinds, per tuple asked for.
_SUBCLASS: dict[tuple[type, tuple[type, ...]], bool] = {}


def is_kind_type(kind: type, kinds: tuple[type, ...]) -> bool:
    """`issubclass(kind, kinds)` through a cache (no ABC machinery)."""
    key = (kind, kinds)
    found = _SUBCLASS.get(key)
    if found is None:
        found = _SUBCLASS[key] = issubclass(kind, kinds)
    return found


def scope_nodes(root: cst.CSTNode) -> tuple[cst.CSTNode, ...]:
    """What `walk.iter_subtree_no_scopes(root)` yields, as a tuple (uncached)."""
    out: list[cst.CSTNode] = []
    stack = [root]
    scopes = _SCOPES
    pushers = _PUSHERS
    while stack:
        node = stack.pop()
        out.append(node)
        kind = type(node)
        if kind in scopes and node is not root:
            continue
        push = pushers.get(kind, _missing)
        if push is _missing:
            push = pushers[kind] = child_pusher(kind)
        if push is not None:
            push(node, stack)
    return tuple(out)


def _statement_walk(root: cst.CSTNode, wanted: frozenset[type[cst.CSTNode]]) -> list[cst.CSTNode]:
    """The nodes of the `wanted` exact types under `root` (included), in walk order
    (`walk.iter_subtree_no_scopes`), looking only at statements and the clauses and blocks
    that hold them: never into expressions, nor into nested functions or classes.
    `wanted` holds statement-level kinds only (blocks, statements)."""
    out: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [root]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in wanted:
            out.append(node)
        if node is not root and kind in _SCOPES:
            continue
        if kind is cst.SimpleStatementLine or kind is cst.SimpleStatementSuite:
            continue  # small statements hold no blocks
        push = statement_child_pusher(kind)
        if push is not None:
            push(node, stack)
    return out


def _small_statements(root: cst.CSTNode) -> list[cst.BaseSmallStatement]:
    """The small statements (`x = 1`, `return`, `import`) under `root` in walk order, not
    into nested scopes. No statement is inside an expression, so expressions are skipped."""
    out: list[cst.BaseSmallStatement] = []
    for line in _statement_walk(root, _SMALL_STATEMENT_HOLDERS):
        out.extend(line.body)  # type: ignore[attr-defined]  # a SimpleStatement*
    return out


_BLOCKS: frozenset[type[cst.CSTNode]] = frozenset({cst.IndentedBlock})
_SMALL_STATEMENT_HOLDERS: frozenset[type[cst.CSTNode]] = frozenset(
    {cst.SimpleStatementLine, cst.SimpleStatementSuite}
)


def word_counts(text: str) -> Counter[str]:
    """How often each identifier-like word occurs in the text (`FileIndex.words`). Counts of
    texts split at line breaks add up to the count of the whole."""
    return Counter(_WORD.findall(text))


class FileIndex:
    """Facts about one parsed file that rules share, each computed at most once.

    Keys are `id()`s of nodes of this module; each cached value keeps its root node alive
    (so an `id` cannot be reused while the index lives).
    """

    def __init__(self, module: cst.Module, source: str, words: Counter[str] | None = None) -> None:
        """`words`: `word_counts(source)`, when the caller keeps it up to date (the editor's
        incremental engine counts only what an edit replaced)."""
        self.module = module
        self.source = source
        self._nodes: dict[int, tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = {}
        self._of_kind: dict[tuple[int, tuple[type, ...]], tuple[cst.CSTNode, ...]] = {}
        self._first_assignments: dict[int, tuple[cst.CSTNode, dict[str, cst.Assign]]] = {}
        self._derived: dict[tuple[int, Callable[..., object]], tuple[cst.CSTNode, object]] = {}
        self._blocks: dict[int, tuple[cst.CSTNode, tuple[cst.IndentedBlock, ...]]] = {}
        self._words: Counter[str] | None = words
        self._mentions: dict[str, bool] = {}
        self._may_name: dict[int, tuple[Collection[str], bool]] = {}
        # How many times each kind of fact was computed (tests check "at most once").
        self.computed: dict[str, int] = {}

    def _count(self, fact: str) -> None:
        self.computed[fact] = self.computed.get(fact, 0) + 1

    def nodes(self, root: cst.CSTNode) -> tuple[cst.CSTNode, ...]:
        """Every meaningful node under `root` (included), depth first in source order, not
        into nested functions, lambdas or classes (those nodes themselves are included):
        `walk.iter_subtree_no_scopes(root)`, walked once per root."""
        found = self._nodes.get(id(root))
        if found is None:
            self._count("nodes")
            found = self._nodes[id(root)] = (root, scope_nodes(root))
        return found[1]

    def of_kind(self, root: cst.CSTNode, kinds: tuple[type[N], ...]) -> tuple[N, ...]:
        """The nodes of `nodes(root)` that are instances of `kinds`, in the same order."""
        key = (id(root), kinds)
        found = self._of_kind.get(key)
        if found is None:
            nodes = self.nodes(root)  # keeps `root` alive, so the key stays valid
            # One subclass test per distinct type, then exact-type look-ups.
            wanted = {kind for kind in set(map(type, nodes)) if is_kind_type(kind, kinds)}
            found = self._of_kind[key] = tuple(n for n in nodes if type(n) in wanted)
        return found  # type: ignore[return-value]  # filtered by `kinds` above

    def first_assignments(self, root: cst.CSTNode) -> dict[str, cst.Assign]:
        """Name -> the first `name = value` (one target, a plain name) in `nodes(root)`."""
        found = self._first_assignments.get(id(root))
        if found is None:
            self._count("first_assignments")
            table: dict[str, cst.Assign] = {}
            for node in _small_statements(root):
                if type(node) is cst.Assign and len(node.targets) == 1:
                    target = node.targets[0].target
                    if type(target) is cst.Name:
                        table.setdefault(target.value, node)
            found = self._first_assignments[id(root)] = (root, table)
        return found[1]

    def derived(self, root: cst.CSTNode, compute: Callable[[cst.CSTNode, FileIndex], T]) -> T:
        """`compute(root, self)`, once per root and `compute`: a fact a detection module
        derives from a scope (`dataflow.assignments` is one), kept with the others."""
        key = (id(root), compute)
        found = self._derived.get(key)
        if found is None:
            self._count(compute.__name__)
            found = self._derived[key] = (root, compute(root, self))
        return cast(T, found[1])

    def blocks(self, root: cst.CSTNode) -> tuple[cst.IndentedBlock, ...]:
        """The `IndentedBlock`s under `root` (included), in walk order, not into nested
        functions or classes: the same as filtering `nodes(root)`, without entering
        expressions."""
        found = self._blocks.get(id(root))
        if found is None:
            self._count("blocks")
            blocks = _statement_walk(root, _BLOCKS)
            found = self._blocks[id(root)] = (root, tuple(blocks))  # type: ignore[arg-type]
        return found[1]

    @property
    def words(self) -> Counter[str]:
        """How often each identifier-like word occurs in the source (code, strings, comments)."""
        if self._words is None:
            self._count("words")
            self._words = word_counts(self.source)
        return self._words

    def word_count(self, word: str) -> int:
        """How many times `word` occurs as a whole word (never fewer than in the code).

        For a word that is not one regex word (`a·b`), a large number: "maybe often".
        """
        if _WORD.fullmatch(word) is None:
            return len(self.source)
        if self._words is None and word not in self.source:
            return 0  # (no need to count every word of the file)
        return self.words[word]

    def mentions(self, word: str) -> bool:
        """Whether `word` occurs in the source as a whole word (never a false "no")."""
        found = self._mentions.get(word)
        if found is None:
            if _WORD.fullmatch(word) is None:
                # Not one regex word (`a·b`): the text test is all we can say.
                found = word in self.source
            elif self._words is None and word not in self.source:
                found = False  # (no need to count every word of the file)
            else:
                found = self.words[word] > 0
            self._mentions[word] = found
        return found

    def may_name(self, qualified_names: Collection[str]) -> bool:
        """False only when no expression of the file can resolve to one of
        `qualified_names` (through `facts.qualified_name`, or a function's own imports).

        A qualified name is built from words of the file: the expression's own dotted name,
        or the import that bound its head. So its first and last parts both occur in the
        source as words. Answers are kept per collection (by identity: pass constants).
        """
        found = self._may_name.get(id(qualified_names))
        if found is None:
            answer = False
            for name in qualified_names:
                dotted = name.removeprefix(_LOCAL)  # `<local>.Agent`: a class of this file
                if self.mentions(dotted.rpartition(".")[2]) and self.mentions(
                    dotted.partition(".")[0]
                ):
                    answer = True
                    break
            self._may_name[id(qualified_names)] = (qualified_names, answer)
            return answer
        return found[1]
