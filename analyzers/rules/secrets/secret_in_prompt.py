"""AGT301: a credential interpolated into prompt text or chat messages sent to a model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import libcst as cst

from agentsense.analyzers.detect.dataflow import assignments
from agentsense.analyzers.detect.llm import PROMPT_KEYWORDS, call_method_name, is_llm_call
from agentsense.analyzers.detect.secrets import (
    env_var_name,
    find_credentials,
    is_ambiguous_token_name,
    is_secret_name,
    mask_secret,
    name_words,
)
from agentsense.analyzers.detect.string_literals import string_value, target_name
from agentsense.analyzers.facts import dotted_name
from agentsense.analyzers.model import Applicability
from agentsense.analyzers.rule import Clean, FixPlan, Flagged, Replace, Rule, RuleOptions

if TYPE_CHECKING:
    from agentsense.analyzers.context import FileContext

# Lookups whose result is the value of the environment variable named by their argument.
_ENV_LOOKUPS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
# Calls that return a password typed or stored by the user.
_PASSWORD_SOURCES = frozenset({"getpass.getpass", "keyring.get_password"})
# Methods that return (a form of) the secret they are called on.
_SECRET_PRESERVING = frozenset(
    {"strip", "lstrip", "rstrip", "get_secret_value", "decode", "encode", "upper", "lower"}
)
# Calls whose result is their argument's text, so the sink lies further out.
_TEXT_WRAPPERS = frozenset({"str", "textwrap.dedent", "inspect.cleandoc"})
_STRING_METHODS = frozenset({"strip", "lstrip", "rstrip", "format", "join", "replace"})
# LLM methods whose positional argument is the prompt (`create` takes `messages=`).
_POSITIONAL_PROMPT_METHODS = frozenset(
    {
        "invoke",
        "ainvoke",
        "generate",
        "agenerate",
        "chat",
        "achat",
        "complete",
        "acomplete",
        "run",
        "arun",
        "stream",
        "astream",
        "predict",
        "generate_content",
        "generate_content_async",
        "send_message",
        "query",
    }
)
# Where a weak sink (`content`, `query`) is really a URL, SQL or a `KEY=value` line.
_SQL = re.compile(r"^\s*(select|insert|update|delete|with)\b", re.I)

_STRONG_LAST_WORDS = frozenset({"instructions", "instruction", "messages", "preamble"})
_MESSAGE_OWNERS = frozenset(
    {"system", "user", "human", "assistant", "ai", "developer", "chat", "initial", "llm", "prompt"}
)
_WEAK_NAMES = frozenset({"content", "query", "question", "user_input"})
# How much of a string expression `_literal_text` reads: the start of a template is enough
# to tell a URL, SQL or `KEY=value` text.
_TEMPLATE_PARTS = 200
_TEMPLATE_STEPS = 1000


@dataclass(frozen=True, slots=True)
class SecretValue:
    """A secret-like expression: how to name it in a message and in its placeholder."""

    label: str  # shown in the message (a name, never a value; literals are masked)
    placeholder: str  # the text the fix puts in its place
    value: str | None = None  # the literal itself, when it is one


@dataclass(frozen=True, slots=True)
class Sink:
    """Where the interpolated text goes: a prompt-named value or an LLM call."""

    description: str
    strong: bool  # weak sinks (`content`, `query`) skip URL/SQL/`KEY=` text


def prompt_strength(name: str) -> bool | None:
    """True for a clearly prompt-like name, False for a weak one, None for neither."""
    if is_secret_name(name):
        return None
    words = name_words(name)
    if not words:
        return None
    if "prompt" in words or "prompts" in words:
        return True
    last = words[-1]
    if last == "system":
        # `system`, `llm_system`; not `operating_system` or `file_system`.
        return len(words) == 1 or words[-2] in ("llm", "chat", "model", "agent", "prompt")
    if last in _STRONG_LAST_WORDS:
        return True
    if last in ("message", "msg") and len(words) > 1 and words[-2] in _MESSAGE_OWNERS:
        return True
    if "_".join(words) in _WEAK_NAMES or (
        last == "content" and len(words) > 1 and words[-2] in ("message", "system", "user")
    ):
        return False
    return None


def _placeholder_text(name: str) -> str:
    return f"<{env_var_name(name)}>"


class SecretInPrompt(Rule):
    code = "AGT301"
    name = "secret-in-prompt"
    summary = "A secret-like value is interpolated into prompt text or chat messages."
    rationale = (
        "Everything in a prompt leaves your process: it is sent to the model provider, kept "
        "in their logs and your tracing tools, and the model can repeat it to the user or "
        "pass it to a tool when a prompt injection asks for it. An API key, token or "
        "password in a system prompt or a message is therefore a leaked credential. Give "
        "credentials to clients (`OpenAI(api_key=...)`) and tools, never to the model."
    )
    fix_description = (
        "Unsafe: replace the interpolated secret with a placeholder naming it, `<API_KEY>` "
        "for `api_key` (`<OPENAI_API_KEY>` for `os.environ['OPENAI_API_KEY']`): in an "
        'f-string `{api_key}` becomes `<API_KEY>`; as a `.format`/`%`/`+` operand, `"<API_KEY>"`.'
    )
    flagged = (
        Flagged(
            """
            import os

            api_key = os.environ["SEARCH_API_KEY"]
            system_prompt = f"You can call the search API with key {api_key}."
            """,
            line=4,
            column=57,
            message="secret `api_key` is interpolated into `system_prompt`",
            fixed="""
            import os

            api_key = os.environ["SEARCH_API_KEY"]
            system_prompt = f"You can call the search API with key <API_KEY>."
            """,
        ),
        Flagged(
            """
            import os
            from openai import OpenAI

            client = OpenAI()

            def ask(question):
                return client.chat.completions.create(
                    model="gpt-4o",
                    messages=[
                        {"role": "system", "content": "Token: " + os.getenv("GITHUB_TOKEN")},
                        {"role": "user", "content": question},
                    ],
                )
            """,
            line=10,
            message='`os.getenv("GITHUB_TOKEN")`',
            fixed="""
            import os
            from openai import OpenAI

            client = OpenAI()

            def ask(question):
                return client.chat.completions.create(
                    model="gpt-4o",
                    messages=[
                        {"role": "system", "content": "Token: " + "<GITHUB_TOKEN>"},
                        {"role": "user", "content": question},
                    ],
                )
            """,
        ),
        Flagged(
            """
            import os

            def run(agent, settings):
                key = os.environ.get("STRIPE_SECRET_KEY")
                agent.run("Charge the card using %s" % key)
                return agent.invoke("Use the DB password {}".format(settings.db_password))
            """,
            line=5,
            count=2,
            message="secret `key`",
            fixed="""
            import os

            def run(agent, settings):
                key = os.environ.get("STRIPE_SECRET_KEY")
                agent.run("Charge the card using %s" % "<KEY>")
                return agent.invoke("Use the DB password {}".format("<DB_PASSWORD>"))
            """,
        ),
        Flagged(
            """
            from getpass import getpass
            from langchain_core.messages import SystemMessage

            class Assistant:
                def system_message(self):
                    return SystemMessage(content=f"Admin password: {getpass()!r}")
            """,
            line=6,
            message="`getpass()`",
            fixed="""
            from getpass import getpass
            from langchain_core.messages import SystemMessage

            class Assistant:
                def system_message(self):
                    return SystemMessage(content=f"Admin password: <PASSWORD>")
            """,
        ),
    )
    clean = (
        # Token *counts* are not secrets.
        Clean(
            """
            max_tokens = 512
            token_count = 10
            num_tokens = 3
            prompt = f"Answer in at most {max_tokens} tokens; you used {token_count}."
            system = "Budget: %d of %d" % (num_tokens, max_tokens)
            """
        ),
        # The right place for a key: the client, not the prompt.
        Clean(
            """
            import os
            from openai import OpenAI

            api_key = os.environ["OPENAI_API_KEY"]
            client = OpenAI(api_key=api_key)
            prompt = "You are a helpful assistant."
            headers = {"Authorization": f"Bearer {api_key}"}
            """
        ),
        # A streamed `token` is text, not a credential; logging is not a prompt.
        Clean(
            """
            import logging

            def stream(llm, question, api_key):
                content = ""
                for token in llm.stream(question):
                    content = f"{content}{token}"
                logging.info(f"called with key {api_key[:4]}")
                return content
            """
        ),
        # A URL / connection string named `query`, and an env var *name* in a prompt.
        Clean(
            """
            def search(q, api_key):
                query = f"https://serpapi.com/search?q={q}&api_key={api_key}"
                instructions = f"Read the key from the {'OPENAI_API_KEY'} variable."
                return query, instructions
            """
        ),
        # Flags about a secret are not the secret.
        Clean(
            """
            def build_prompt(has_api_key: bool, api_key_env: str) -> str:
                return f"Key configured: {has_api_key}; variable: {api_key_env}"
            """
        ),
    )

    def __init__(self, context: FileContext, options: RuleOptions) -> None:
        super().__init__(context, options)
        self._tainted: dict[int, set[str]] = {}
        # Where the text of a node of the walk's path goes (`_sink`), by node id.
        self._sinks: dict[int, Sink | None] = {}

    # --- interpolations ------------------------------------------------------------------

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        path = self.context.path_stack
        string = path[-2] if len(path) > 1 else None
        if not isinstance(string, cst.FormattedString):
            return
        secret = self._secret(node.expression, len(path) - 2)
        if secret is None:
            return
        preceding = ""
        for part in string.parts:
            if part is node:
                break
            preceding = part.value if isinstance(part, cst.FormattedStringText) else ""
        template = "".join(p.value for p in string.parts if isinstance(p, cst.FormattedStringText))
        replacement = cst.FormattedStringText(secret.placeholder)
        self._check(node.expression, node, replacement, secret, len(path) - 2, template, preceding)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is not cst.Attribute or func.attr.value != "format":
            return
        template = self._literal_text(func.value)
        for arg in node.args:
            if arg.star:
                continue
            secret = self._secret(arg.value, len(self.context.path_stack) - 1)
            if secret is not None:
                preceding = "=" if re.search(r"=\s*\{[^}]*\}", template) else ""
                self._check(
                    arg.value,
                    arg.value,
                    self._string(secret.placeholder),
                    secret,
                    len(self.context.path_stack) - 1,
                    template,
                    preceding,
                )

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        at = len(self.context.path_stack) - 1
        if type(node.operator) is cst.Modulo:
            template = self._literal_text(node.left)
            if not isinstance(
                node.left, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)
            ):
                return
            right = node.right
            operands: list[cst.BaseExpression]
            if isinstance(right, cst.Tuple):
                operands = [e.value for e in right.elements]
            elif isinstance(right, cst.Dict):
                operands = [e.value for e in right.elements if isinstance(e, cst.DictElement)]
            else:
                operands = [right]
            preceding = "=" if re.search(r"=\s*%", template) else ""
            for operand in operands:
                self._report_operand(operand, at, template, preceding)
        elif type(node.operator) is cst.Add:
            left = node.left
            pieces = [node.right]
            if not (isinstance(left, cst.BinaryOperation) and isinstance(left.operator, cst.Add)):
                pieces.insert(0, left)
            for piece in pieces:
                # The texts are read only for a secret operand: each walks the chain, and a
                # `+` chain has one BinaryOperation per operand (quadratic if always read).
                secret = self._secret(piece, at)
                if secret is not None:
                    preceding = self._literal_text(left) if piece is node.right else ""
                    self._check_secret(piece, secret, at, self._literal_text(node), preceding)

    def _report_operand(
        self, operand: cst.BaseExpression, at: int, template: str, preceding: str
    ) -> None:
        secret = self._secret(operand, at)
        if secret is not None:
            self._check_secret(operand, secret, at, template, preceding)

    def _check_secret(
        self,
        operand: cst.BaseExpression,
        secret: SecretValue,
        at: int,
        template: str,
        preceding: str,
    ) -> None:
        replacement = self._string(secret.placeholder)
        self._check(operand, operand, replacement, secret, at, template, preceding)

    # --- what is a secret ----------------------------------------------------------------

    def _secret(self, expression: cst.BaseExpression, start: int) -> SecretValue | None:
        """The secret `expression` holds, if any, when its text would go where
        `_sink(start)` says (a name assigned from a secret is looked up only when there is
        such a place: that needs every assignment of the scope)."""
        node = expression
        for _ in range(8):  # unwrap `api_key.strip()`, `str(api_key)`
            if type(node) is cst.Call:
                func = node.func
                if isinstance(func, cst.Attribute) and func.attr.value in _SECRET_PRESERVING:
                    node = func.value
                    continue
                qualified = self.context.qualified_name(func)
                if qualified in ("str", "repr") and len(node.args) == 1:
                    node = node.args[0].value
                    continue
            break
        direct = self._source(node)
        if direct is not None:
            return direct
        name = dotted_name(node)
        if name is None:
            return None
        # What the module-level assignments say of the name is a module binding read.
        self.context.facts.note_read(name.partition(".")[0])
        short = name.rsplit(".", 1)[-1]
        # Named like a secret, or assigned from one: the same answer either way, so the
        # name first, and the scope's assignments only for text that goes to a prompt.
        if is_secret_name(short) and not is_ambiguous_token_name(short):
            return SecretValue(name, _placeholder_text(short))
        if self._sink(start) is None:
            return None  # no report whatever the name holds
        if name in self._scope_tainted() or name in self._module_tainted():
            return SecretValue(name, _placeholder_text(short))
        return None

    def _source(self, node: cst.BaseExpression) -> SecretValue | None:
        """A lookup or literal that is a secret whatever it is assigned to.

        Labels are rebuilt from names only: `os.getenv("KEY", "<a real key>")` must not put
        its fallback into the message.
        """
        if type(node) is cst.Subscript and len(node.slice) == 1:
            key = target_name(node)
            if key is None or not is_secret_name(key):
                return None
            container = dotted_name(node.value)
            if self.context.qualified_name(node.value) == "os.environ":
                return SecretValue(f'{container}["{key}"]', _placeholder_text(key))
            if container is not None and not is_ambiguous_token_name(key):
                # `config["api_key"]`, `st.secrets["db_password"]`
                return SecretValue(f'{container}["{key}"]', _placeholder_text(key))
            return None
        if type(node) is cst.Call:
            qualified = self.context.qualified_name(node.func)
            shown = dotted_name(node.func) or qualified or "call"
            if qualified in _PASSWORD_SOURCES:
                return SecretValue(f"{shown}()", "<PASSWORD>")
            if qualified in _ENV_LOOKUPS and node.args:
                env = string_value(node.args[0].value)
                if isinstance(env, str) and is_secret_name(env):
                    return SecretValue(f'{shown}("{env}")', _placeholder_text(env))
            return None
        if type(node) in (cst.SimpleString, cst.ConcatenatedString):
            value = string_value(node)
            if isinstance(value, str):
                found = next(find_credentials(value), None)
                if found is not None:
                    return SecretValue(
                        f"'{mask_secret(found.value)}'", f"<{found.env_name}>", found.value
                    )
        return None

    def _module_tainted(self) -> set[str]:
        """Module-level names assigned from a secret lookup (read by functions too)."""
        return self._tainted_in(self.context.module)

    def _scope_tainted(self) -> set[str]:
        """Names of the current function (or module) assigned from a secret lookup."""
        function = self.context.enclosing_function()
        return self._tainted_in(function.body if function is not None else self.context.module)

    def _tainted_in(self, scope: cst.CSTNode) -> set[str]:
        known = self._tainted.get(id(scope))
        if known is not None:
            return known
        tainted: set[str] = set()
        self._tainted[id(scope)] = tainted  # guards against re-entry while computing
        flows = [(a.targets, a.value) for a in assignments(self.context.index, scope) if a.targets]
        changed = True
        while changed:
            changed = False
            for targets, value in flows:
                if all(t in tainted for t in targets) or not isinstance(value, cst.BaseExpression):
                    continue
                if self._source(value) is not None or self._named_secret(value, tainted):
                    tainted.update(targets)
                    changed = True
        return tainted

    @staticmethod
    def _named_secret(value: cst.BaseExpression, tainted: set[str]) -> bool:
        name = dotted_name(value)
        if name is None:
            return False
        short = name.rsplit(".", 1)[-1]
        return name in tainted or (is_secret_name(short) and not is_ambiguous_token_name(short))

    # --- where it goes -------------------------------------------------------------------

    def _sink(self, start: int) -> Sink | None:
        """Climb from the interpolating node at `path_stack[start]` to where its text goes."""
        path = self.context.path_stack
        index = start
        # Where the climb from a node ends depends on the node alone (the climb never
        # leaves its function): remembered for every node passed, so a `+` chain of N
        # interpolations climbs N levels in all, not N times.
        passed: list[int] = []
        while index > 0:
            key = id(path[index])
            if key in self._sinks:
                return self._remember(passed, self._sinks[key])
            passed.append(key)
            child, parent = path[index], path[index - 1]
            grand = path[index - 2] if index > 1 else None
            if type(parent) in (
                cst.BinaryOperation,
                cst.ConcatenatedString,
                cst.FormattedString,
                cst.FormattedStringExpression,
            ):
                index -= 1
                continue
            if type(parent) is cst.Attribute:
                if (
                    parent.value is child
                    and parent.attr.value in _STRING_METHODS
                    and type(grand) is cst.Call
                    and grand.func is parent
                ):
                    index -= 2
                    continue
                return self._remember(passed, None)
            if type(parent) is cst.Element and type(grand) in (cst.List, cst.Tuple, cst.Set):
                index -= 2
                continue
            if type(parent) is cst.Arg and type(grand) is cst.Call:
                if parent.value is not child:
                    return self._remember(passed, None)
                found = self._call_sink(parent, grand)
                if found == "through":
                    index -= 2
                    continue
                return self._remember(passed, found if isinstance(found, Sink) else None)
            if type(parent) is cst.DictElement:
                return self._remember(
                    passed, self._dict_sink(parent, grand) if parent.value is child else None
                )
            if (
                type(parent) is cst.Assign
                or type(parent) is cst.AnnAssign
                or type(parent) is cst.AugAssign
            ):
                targets = (
                    [t.target for t in parent.targets]
                    if type(parent) is cst.Assign
                    else [cast("cst.AnnAssign | cst.AugAssign", parent).target]
                )
                for target in targets:
                    name = target_name(target)
                    strength = prompt_strength(name) if name is not None else None
                    if strength is not None and name is not None:
                        return self._remember(passed, Sink(f"`{name}`", strength))
                return self._remember(passed, None)
            if type(parent) is cst.Return:
                function = self.context.enclosing_function()
                if function is None:
                    return self._remember(passed, None)
                strength = prompt_strength(function.name.value)
                if strength is None:
                    return self._remember(passed, None)
                return self._remember(
                    passed, Sink(f"the return value of `{function.name.value}`", strength)
                )
            return self._remember(passed, None)
        return self._remember(passed, None)

    def _remember(self, passed: list[int], sink: Sink | None) -> Sink | None:
        for key in passed:
            self._sinks[key] = sink
        return sink

    def _call_sink(self, arg: cst.Arg, call: cst.Call) -> Sink | str | None:
        """A sink, "through" when the call returns its argument's text, or None."""
        facts = self.context.facts
        callee = dotted_name(call.func) or call_method_name(call) or "call"
        last = callee.rsplit(".", 1)[-1]
        is_message_class = last.endswith(("Message", "Prompt", "PromptTemplate")) or last in (
            "from_template",
            "from_messages",
        )
        if arg.keyword is not None:
            keyword = arg.keyword.value
            if is_secret_name(keyword):
                return None  # `Client(api_key=...)`: where a key belongs
            strength = prompt_strength(keyword)
            if keyword in PROMPT_KEYWORDS or strength is not None:
                strong = is_llm_call(call, facts) or is_message_class or strength is True
                return Sink(f"`{keyword}=` of `{callee}`", strong)
            return None
        if self.context.qualified_name(call.func) in _TEXT_WRAPPERS:
            return "through"
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("append", "insert", "extend"):
            receiver = target_name(func.value)
            if receiver is not None and prompt_strength(receiver) is not None:
                return Sink(f"`{receiver}`", True)
            return None
        if is_llm_call(call, facts) and call_method_name(call) in _POSITIONAL_PROMPT_METHODS:
            return Sink(f"the LLM call `{callee}`", True)
        if is_message_class:
            return Sink(f"`{callee}`", True)
        return None

    @staticmethod
    def _dict_sink(element: cst.DictElement, dictionary: cst.CSTNode | None) -> Sink | None:
        key = string_value(element.key)
        if not isinstance(key, str):
            return None
        siblings: set[str] = set()
        if isinstance(dictionary, cst.Dict):
            for other in dictionary.elements:
                if isinstance(other, cst.DictElement):
                    name = string_value(other.key)
                    if isinstance(name, str):
                        siblings.add(name)
        if (key == "content" and "role" in siblings) or (key == "text" and "type" in siblings):
            return Sink("a chat message", True)
        strength = prompt_strength(key)
        return Sink(f"`{key}`", strength) if strength is not None else None

    # --- reporting -----------------------------------------------------------------------

    def _check(
        self,
        report_on: cst.CSTNode,
        old: cst.CSTNode,
        new: cst.CSTNode,
        secret: SecretValue,
        start: int,
        template: str,
        preceding: str,
    ) -> None:
        sink = self._sink(start)
        if sink is None:
            return
        if not sink.strong and (
            "://" in template
            or template.lstrip().startswith(("?", "&"))
            or _SQL.match(template)
            or preceding.rstrip().endswith("=")
        ):
            return  # a URL, SQL or `KEY=value` text that happens to be named `query`/`content`
        fix = FixPlan(
            f"Replace the secret with `{secret.placeholder}`",
            (Replace(old, new),),
            Applicability.UNSAFE,
        )
        self.report(
            report_on,
            f"secret `{secret.label}` is interpolated into {sink.description}: the model, "
            "its provider's logs and any prompt injection can read it; give credentials to "
            "clients and tools, not to the model",
            fix=fix,
            secrets=(secret.value,) if secret.value else (),
        )

    def _literal_text(self, node: cst.CSTNode) -> str:
        """The literal text in a string expression (f-string text, `+` of literals)."""
        parts: list[str] = []
        stack: list[cst.CSTNode] = [node]
        steps = 0
        # Bounded in parts and in nodes looked at, so a long chain of non-strings
        # (`1 + 1 + ...`) costs a constant per call, not its length.
        while stack and len(parts) < _TEMPLATE_PARTS and steps < _TEMPLATE_STEPS:
            steps += 1
            current = stack.pop()
            if isinstance(current, cst.SimpleString):
                value = string_value(current)
                parts.append(value if isinstance(value, str) else "")
            elif isinstance(current, cst.FormattedStringText):
                parts.append(current.value)
            elif isinstance(current, cst.FormattedString):
                stack.extend(reversed(current.parts))
            elif isinstance(current, (cst.ConcatenatedString, cst.BinaryOperation)):
                stack.extend((current.right, current.left))
        return "".join(parts)

    def _string(self, text: str) -> cst.SimpleString:
        """A string literal whose quotes do not clash with an enclosing f-string's."""
        quote = '"'
        for node in self.context.path_stack:
            if isinstance(node, cst.FormattedString) and '"' in node.start:
                quote = "'"
        return cst.SimpleString(f"{quote}{text}{quote}")
