"""AGT302: a credential written into the source as a string literal."""

from __future__ import annotations

import libcst as cst
from pydantic import Field

from agentsense.analyzers.detect.paths import is_test_path
from agentsense.analyzers.detect.secrets import (
    env_var_name,
    find_credentials,
    is_high_entropy_secret,
    is_secret_name,
    is_session_cookie_name,
    mask_secret,
    might_hold_credential,
    name_words,
)
from agentsense.analyzers.detect.string_literals import string_value, target_name
from agentsense.analyzers.model import Applicability
from agentsense.analyzers.rule import AddImport, Clean, FixPlan, Flagged, Replace, Rule, RuleOptions

# Calls whose second argument is the fallback for an environment variable named by the first.
_ENV_FALLBACKS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
# Where the literal is an expression value, so `os.environ[...]` can stand in its place.
_VALUE_PARENTS = (
    cst.Assign,
    cst.AnnAssign,
    cst.Arg,
    cst.DictElement,
    cst.Param,
    cst.Element,
    cst.Return,
)


# Names that say nothing about which key it is: the provider's variable is a better name.
_GENERIC_WORDS = frozenset({"api", "key", "apikey", "token", "secret", "password", "value"})


def _generic(name: str | None) -> bool:
    return name is None or set(name_words(name)) <= _GENERIC_WORDS


def _cannot_flag(node: cst.SimpleString | cst.ConcatenatedString, name: str | None) -> bool:
    """True when the literal cannot be flagged, judged from its source text without evaluating
    it (`evaluated_value` is an `ast.literal_eval`, and this rule sees every string literal).

    Only a single literal without backslashes is judged: its value is then its source text
    minus prefix and quotes, which cannot join or split a credential's characters. Under a
    secret-like or session-cookie name any high-entropy value is flagged, so those are kept.
    """
    if not isinstance(node, cst.SimpleString) or "\\" in node.value:
        return False
    if name is not None and (is_secret_name(name) or is_session_cookie_name(name)):
        return False
    return not might_hold_credential(node.value)


class HardcodedSecretOptions(RuleOptions):
    """Options of AGT302."""

    ignore_tests: bool = Field(
        False,
        alias="ignore-tests",
        description="Skip files under a `tests`/`test` directory and `test_*.py` files.",
    )


class HardcodedSecret(Rule):
    code = "AGT302"
    name = "hardcoded-secret"
    summary = "A credential is written into the source as a string literal."
    rationale = (
        "Agent code talks to paid, privileged APIs, and a key in the source is a key in every "
        "clone, fork, wheel, log and bug report: bots scrape public repositories for `sk-` and "
        "`AKIA` keys within minutes, and a leaked model key is billed to you until it is "
        "revoked. Keys belong in the environment or a secret manager, where they can be "
        "rotated without a commit. The finding masks the value; every output format redacts "
        "it from the source lines it shows."
    )
    fix_description = (
        'Unsafe: replace the literal with `os.environ["NAME"]` and add `import os`. NAME is '
        "the variable, keyword or dict key upper-cased; when that name is generic (`api_key`, "
        "`token`) or absent, the provider's usual variable (`OPENAI_API_KEY`, `GITHUB_TOKEN`). "
        "For an `os.getenv(NAME, <secret>)` fallback the fix drops the fallback. The program "
        "then fails fast when the variable is unset. No fix when the key is part of a longer "
        "string, in bytes, or in an f-string."
    )
    options_model = HardcodedSecretOptions
    flagged = (
        Flagged(
            """
            from openai import OpenAI

            client = OpenAI(api_key="sk-proj-u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAj")
            """,
            line=3,
            column=25,
            message="hardcoded OpenAI API key 'sk-p…Aj'; load it from the environment",
            fixed="""
            from openai import OpenAI
            import os

            client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
            """,
        ),
        Flagged(
            """
            import os

            ANTHROPIC_KEY = "sk-ant-api03-CsMehGAkWvj7FAc9QeWJKY40uvSwMFLZDe1f8rES"
            """,
            line=3,
            message="Anthropic API key 'sk-a…ES'",
            fixed="""
            import os

            ANTHROPIC_KEY = os.environ["ANTHROPIC_KEY"]
            """,
        ),
        Flagged(
            # A high-entropy value under a secret-like dict key.
            """
            DB = {"user": "agent", "password": "q7Vz2LmX9pRt4KwB8nYc3HsJ"}
            """,
            line=1,
            message="hardcoded secret in `password` 'q7Vz…sJ'",
            fixed="""
            import os
            DB = {"user": "agent", "password": os.environ["PASSWORD"]}
            """,
        ),
        Flagged(
            # A provider key with no name around it takes the provider's variable name.
            """
            import os

            def headers():
                return tool_call("ghp_wR4y9ojfljoQoaF1LlqsajAIxNKu8iS2G8NP")
            """,
            line=4,
            message="GitHub token 'ghp_…NP'",
            fixed="""
            import os

            def headers():
                return tool_call(os.environ["GITHUB_TOKEN"])
            """,
        ),
        Flagged(
            # A fallback for an environment variable: the fix drops the fallback.
            """
            import os

            token = os.getenv("HF_TOKEN", "hf_iIjHGb3CXlMaXZjljENUhJduRHHJEYXg4J")
            """,
            line=3,
            column=31,
            message="Hugging Face token 'hf_i…4J'",
            fixed="""
            import os

            token = os.getenv("HF_TOKEN")
            """,
        ),
        Flagged(
            # Inside a longer string: reported, but no literal-for-variable fix fits.
            """
            HEADERS = {"Authorization": "Bearer ghp_wR4y9ojfljoQoaF1LlqsajAIxNKu8iS2G8NP"}
            """,
            line=1,
            message="GitHub token 'ghp_…NP'",
        ),
        Flagged(
            """
            class Settings:
                aws_access_key_id: str = "AKIAEDT2SYWB3WKH5DNS"
                secret_key = "9f2c4e8a1b7d3f6e0a5c9b2d8e4f1a7c"
            """,
            line=2,
            count=2,
            message="AWS access key ID 'AKIA…NS'",
            fixed="""
            import os
            class Settings:
                aws_access_key_id: str = os.environ["AWS_ACCESS_KEY_ID"]
                secret_key = os.environ["SECRET_KEY"]
            """,
        ),
        Flagged(
            # Session cookies of a logged-in browser, hard-coded in a dict.
            """
            COOKIES = {
                "__Secure-3PSID": "g.a000kQj8Xv2LpR7tYw3NcBz5HdMf9SgUe1QiKo4Wr6Ty",
                "_gh_sess": "Zm9vYmFyLWJhei1xdXV4LTQyLXNlc3Npb24tZGF0YS0x7Hk2Lp",
                "theme": "dark",
            }
            """,
            line=2,
            count=2,
            message="session cookie `__Secure-3PSID`",
            fixed="""
            import os
            COOKIES = {
                "__Secure-3PSID": os.environ["SECURE_3_PSID"],
                "_gh_sess": os.environ["GH_SESS"],
                "theme": "dark",
            }
            """,
        ),
    )
    clean = (
        # Values that say they are not working credentials: a deliberately invalid key, a
        # synthetic key for a mock transport, a demo secret.
        Clean(
            """
            import httpx
            from openai import AsyncOpenAI

            broken = AsyncOpenAI(api_key="sk-invalid-key-deliberately-broken-0123abcdXYZ789")
            local = AsyncOpenAI(
                api_key="synthetic-local-reader",
                http_client=httpx.AsyncClient(transport=httpx.MockTransport(dispatch)),
            )
            # DEMO ONLY: never hard-code real credentials.
            DEMO_CLIENT_SECRET = "demo-finance-agent-secret"
            """
        ),
        # Cookies that are not sessions, a session cookie that is no random value, and a
        # conversation's `session_id`.
        Clean(
            """
            COOKIES = {"theme": "dark", "SID": "anonymous", "lang": "en-US"}
            session_id = "dapr_conversation_123"
            session = SQLiteSession(session_id="conversation_comprehensive")
            """
        ),
        # Placeholders and obvious fakes.
        Clean('OpenAI(api_key="sk-...")\nAPI_KEY = "your-api-key"\nTOKEN = "<KEY>"\n'),
        Clean('PASSWORD = "changeme"\nSECRET = "xxx"\nclient = Client(api_key="dummy")\n'),
        Clean(
            'OPENAI_KEY = "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"\n'
            'AWS_KEY = "AKIAIOSFODNN7EXAMPLE"\n'
            'api_key = "sk-proj-your-key-goes-here-1234567890"\n'
        ),
        # Environment variable *names* and lookups.
        Clean(
            'import os\nAPI_KEY_ENV = "OPENAI_API_KEY"\napi_key = os.environ["OPENAI_API_KEY"]\n'
        ),
        # High entropy, but not under a secret-like name; token counts are not secrets.
        Clean('MODEL = "gpt-4o-mini-2024-07-18"\nCOMMIT = "9f2c4e8a1b7d3f6e0a5c9b2d8e4f1a7c"\n'),
        Clean('max_tokens = 4096\ntoken_count = "q7Vz2LmX9pRt4KwB8nYc3HsJ"\n'),
        # Short, or a file path / URL under a secret-like name.
        Clean(
            'password = "hunter2"\n'
            'credentials_path = "/etc/agent/credentials.json"\n'
            'token_url = "https://auth.example.com/oauth/token"\n'
        ),
        # A prefix compared against, a PEM header used as a marker.
        Clean(
            'def is_openai(key):\n    return key.startswith("sk-proj-")\n'
            'MARKER = "-----BEGIN RSA PRIVATE KEY-----"\n'
        ),
        # Test fixtures, when the option says so.
        Clean(
            'API_KEY = "sk-proj-u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAj"\n',
            path="tests/test_client.py",
            options={"ignore-tests": True},
        ),
    )

    def _enabled(self) -> bool:
        options = self.options
        ignore = isinstance(options, HardcodedSecretOptions) and options.ignore_tests
        return not (ignore and is_test_path(self.context.path))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if type(self._parent()) is not cst.ConcatenatedString:
            self._check_literal(node)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        if isinstance(self._parent(), cst.ConcatenatedString):
            return  # the outermost one covers all its parts
        if string_value(node) is not None:
            self._check_literal(node)
            return
        # Holds an f-string: check each plain part on its own (f-string text has its own visit).
        stack: list[cst.BaseExpression] = [node]
        while stack:
            part = stack.pop()
            if isinstance(part, cst.ConcatenatedString):
                stack.extend((part.right, part.left))
            elif isinstance(part, cst.SimpleString):
                self._check_literal(part, standalone=False)

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        if not self._enabled():
            return
        for found in find_credentials(node.value):
            masked = mask_secret(found.value)
            self.report(
                node,
                f"hardcoded {found.kind} '{masked}'; load it from the environment",
                secrets=(found.value,),
            )
            return

    def _parent(self) -> cst.CSTNode | None:
        # The walk's path itself (`ancestors` copies it): asked for every string literal.
        stack = self.context.path_stack
        return stack[-2] if len(stack) > 1 else None

    def _check_literal(
        self, node: cst.SimpleString | cst.ConcatenatedString, *, standalone: bool = True
    ) -> None:
        if not self._enabled():
            return
        name, fallback_call = self._name_and_call(node) if standalone else (None, None)
        if _cannot_flag(node, name):
            return
        raw = string_value(node)
        if raw is None:
            return
        value = raw.decode("latin-1") if isinstance(raw, bytes) else raw
        if not value or len(value) > 100_000:
            return
        found = next(find_credentials(value), None)
        if found is not None:
            secret = found.value
            what = found.kind
            whole = value.strip() == secret
            env_name = found.env_name if _generic(name) else env_var_name(name or "")
        elif name is not None and is_secret_name(name) and is_high_entropy_secret(value):
            secret = value
            what = f"secret in `{name}`"
            whole = True
            env_name = env_var_name(name)
        elif name is not None and is_session_cookie_name(name) and is_high_entropy_secret(value):
            secret = value
            what = f"session cookie `{name}`"
            whole = True
            env_name = env_var_name(name)
        else:
            return
        fix = None
        if standalone and whole and isinstance(raw, str):
            fix = self._fix(node, env_name, fallback_call)
        secrets = tuple(dict.fromkeys((value, secret)))
        self.report(
            node,
            f"hardcoded {what} '{mask_secret(secret)}'; load it from the environment",
            fix=fix,
            secrets=secrets,
        )

    def _name_and_call(self, node: cst.BaseExpression) -> tuple[str | None, cst.Call | None]:
        """The name the literal is stored under, and the env lookup it is a fallback of."""
        stack = self.context.path_stack  # (`ancestors` copies it: asked for every literal)
        parent = stack[-2] if len(stack) > 1 else None
        if type(parent) is cst.Assign and parent.value is node and parent.targets:
            return target_name(parent.targets[0].target), None
        if type(parent) is cst.AnnAssign and parent.value is node:
            return target_name(parent.target), None
        if type(parent) is cst.Param and parent.default is node:
            return parent.name.value, None
        if type(parent) is cst.DictElement and parent.value is node:
            key = string_value(parent.key)
            return (key if isinstance(key, str) else None), None
        if type(parent) is cst.Arg and parent.value is node:
            if parent.keyword is not None:
                return parent.keyword.value, None
            call = stack[-3] if len(stack) > 2 else None
            if (
                type(call) is cst.Call
                and len(call.args) >= 2
                and call.args[1] is parent
                and self.context.qualified_name(call.func) in _ENV_FALLBACKS
            ):
                key = string_value(call.args[0].value)
                if isinstance(key, str):
                    return key, call
        return None, None

    def _fix(
        self,
        node: cst.SimpleString | cst.ConcatenatedString,
        env_name: str,
        fallback_call: cst.Call | None,
    ) -> FixPlan | None:
        ancestors = self.context.ancestors
        parent = ancestors[-1] if ancestors else None
        if not isinstance(parent, _VALUE_PARENTS):
            return None  # a docstring, a pattern, ...: no expression fits there
        if fallback_call is not None:
            if self.context.qualified_name(fallback_call.func) == "os.environ.setdefault":
                return None
            first = fallback_call.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return FixPlan(
                "Drop the hardcoded fallback",
                (Replace(fallback_call, fallback_call.with_changes(args=[first])),),
                Applicability.UNSAFE,
            )
        if isinstance(parent, cst.Assign):
            target = parent.targets[0].target
            if isinstance(target, cst.Subscript) and self.context.qualified_name(target.value) in (
                "os.environ",
            ):
                return None  # `os.environ["X"] = "<key>"` cannot read itself
        if self.context.qualified_name(cst.Name("os")) != "os":
            return None  # `os` means something else in this module
        lookup = cst.parse_expression(f'os.environ["{env_name}"]')
        return FixPlan(
            f"Read `{env_name}` from the environment",
            (Replace(node, lookup), AddImport("os")),
            Applicability.UNSAFE,
        )
