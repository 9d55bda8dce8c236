"""What counts as a secret: secret-like names, provider key formats, entropy, masking."""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

ELLIPSIS = "\u2026"

# RULES.md AGT301: a name that holds a credential (searched case-insensitively).
SECRET_NAME = re.compile(r"(api_?key|secret|token|password|passwd|credential|private_?key)", re.I)

# The same words on a normalised snake_case name, ending at a word boundary, so that
# `tokenizer`, `secretary` or `passwordless` are not secrets (a plural or digits may follow).
_SECRET_WORD = re.compile(
    r"(api_?key|secret|token|password|passwd|credential|private_?key)(s?)\d*(?=_|$)"
)
# Words that turn a secret-like name into something about a secret, not the secret:
# token *counts* (`max_tokens`), where a secret lives (`api_key_env`, `token_url`), or a
# flag (`has_api_key`).
_NOT_SECRET_WORDS = frozenset(
    {
        # counts and sizes
        "count",
        "counts",
        "num",
        "number",
        "max",
        "min",
        "limit",
        "limits",
        "used",
        "usage",
        "budget",
        "total",
        "len",
        "length",
        "size",
        "remaining",
        "per",
        "tokenizer",
        "tokenize",
        "tokenized",
        "estimate",
        "estimated",
        # tokenizer vocabulary: `eos_token`, `pad_token`, `special_tokens`, `tiktoken_model`
        "tiktoken",
        "encoding",
        "encoder",
        "vocab",
        "embedding",
        "embeddings",
        "special",
        "eos",
        "bos",
        "pad",
        "unk",
        "sep",
        "cls",
        "mask",
        "stop",
        "start",
        "end",
        # where or what a secret is, not its value
        "type",
        "kind",
        "url",
        "uri",
        "endpoint",
        "path",
        "file",
        "filename",
        "dir",
        "env",
        "var",
        "variable",
        "name",
        "names",
        "id",
        "ids",
        "arn",
        "header",
        "field",
        "index",
        "idx",
        "pattern",
        "regex",
        "prefix",
        "hash",
        "hashed",
        "expiry",
        "expires",
        "expiration",
        "ttl",
        "timeout",
        "manager",
        "store",
        "provider",
        "source",
        "version",
        "hint",
        "label",
        "policy",
        "format",
        # flags about a secret
        "has",
        "is",
        "present",
        "missing",
        "configured",
        "valid",
        "enabled",
        "required",
        "exists",
        "available",
    }
)


def name_words(name: str) -> list[str]:
    """`openAIApiKey` / `OPENAI_API_KEY` / `openai-api-key` -> lower-case words."""
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def is_secret_name(name: str) -> bool:
    """A variable, attribute, keyword or key name that holds a credential.

    `api_key`, `OPENAI_API_KEY`, `db_password`, `clientSecret`; not token counts
    (`max_tokens`, `num_tokens`, `token_count`, `tokens_used`, `tokenizer`), not where a
    secret lives (`api_key_env`, `token_url`) and not flags (`has_api_key`).
    """
    if not SECRET_NAME.search(name):
        return False
    words = name_words(name)
    matches = list(_SECRET_WORD.finditer("_".join(words)))
    if not matches:
        return False
    if any(w in _NOT_SECRET_WORDS for w in words):
        return False
    # A plural `tokens` is a count or a token list (`prompt_tokens`), never a credential.
    return not all(m.group(1) == "token" and m.group(2) for m in matches)


# Session cookies: Google's (`SID`, `SAPISID`, `__Secure-3PSID`), GitHub's `_gh_sess` and
# `user_session`, and the usual framework session ids. Their values log a browser in.
_SESSION_COOKIE = re.compile(r"(?:__(?:Secure|Host)-)?\d?P?(?:[A-Z]*SID(?:CC|TS)?|[A-Z]*APISID)")
# Only names that are cookies and nothing else: `session_id` is as often a conversation id.
_SESSION_COOKIE_NAMES = frozenset(
    {"_gh_sess", "connect.sid", "phpsessid", "jsessionid", "laravel_session"}
)


def is_session_cookie_name(name: str) -> bool:
    """`SID`, `__Secure-3PSID`, `SAPISID`, `_gh_sess`, `PHPSESSID`: a cookie that holds a
    logged-in session."""
    return bool(_SESSION_COOKIE.fullmatch(name)) or name.lower() in _SESSION_COOKIE_NAMES


# Words that make a `token` a credential (`access_token`, `bot_token`, `hf_token`).
_CREDENTIAL_WORDS = frozenset(
    {
        "api",
        "apikey",
        "access",
        "auth",
        "bearer",
        "refresh",
        "session",
        "oauth",
        "jwt",
        "bot",
        "pat",
        "github",
        "gh",
        "hf",
        "huggingface",
        "slack",
        "client",
        "service",
        "personal",
        "secret",
        "password",
        "passwd",
        "credential",
        "credentials",
        "csrf",
        "xsrf",
        "id",
        "security",
    }
)


def is_ambiguous_token_name(name: str) -> bool:
    """`token`, `next_token`: in model code usually a piece of generated text, not a key.

    True when the only secret word is `token` and nothing says it is a credential.
    """
    if name.isupper():
        return False  # a constant (`SLACK_TOKEN`) is configuration, not generated text
    words = name_words(name)
    if any(w in _CREDENTIAL_WORDS for w in words):
        return False
    return "token" in words and not any(
        m.group(1) != "token" for m in _SECRET_WORD.finditer("_".join(words))
    )


def mask_secret(value: str) -> str:
    """At most the first 4 and last 2 characters: `sk-p…9Q`; `…` alone under 10 chars."""
    if len(value) < 10:
        return ELLIPSIS
    return f"{value[:4]}{ELLIPSIS}{value[-2:]}"


@dataclass(frozen=True, slots=True)
class CredentialFormat:
    """A provider's credential format and the environment variable it usually lives in."""

    kind: str
    env_name: str
    pattern: re.Pattern[str]


# Bodies must be long enough that prefixes in docs (`sk-`, `ghp_`) never match, and are
# bounded on the left so a prefix inside a longer word (`task-...`) does not match either.
_B = r"(?<![A-Za-z0-9_\-])"
CREDENTIAL_FORMATS: tuple[CredentialFormat, ...] = (
    CredentialFormat(
        "private key",
        "PRIVATE_KEY",
        # The header alone is a marker parsers compare against; a key has a body.
        re.compile(
            r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----"
            r"(?:\s|\\n|\\r)*(?:Proc-Type:|[A-Za-z0-9+/=]{20,})"
        ),
    ),
    CredentialFormat(
        "Anthropic API key",
        "ANTHROPIC_API_KEY",
        re.compile(_B + r"sk-ant-(?:[a-z]+\d\d-)?[A-Za-z0-9_\-]{32,}"),
    ),
    CredentialFormat(
        "OpenAI API key",
        "OPENAI_API_KEY",
        re.compile(
            _B + r"sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?(?=[A-Za-z_\-]*\d)[A-Za-z0-9_\-]{20,}"
        ),
    ),
    CredentialFormat(
        "Stripe live key",
        "STRIPE_API_KEY",
        re.compile(_B + r"(?:sk|rk)_live_[A-Za-z0-9]{20,}"),
    ),
    CredentialFormat(
        "AWS access key ID",
        "AWS_ACCESS_KEY_ID",
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    ),
    CredentialFormat(
        "GitHub token",
        "GITHUB_TOKEN",
        re.compile(
            _B + r"(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"
        ),
    ),
    CredentialFormat(
        "Slack token",
        "SLACK_TOKEN",
        re.compile(_B + r"xox[abpr]-\d{6,}-[A-Za-z0-9\-]{10,}"),
    ),
    CredentialFormat(
        "Google API key",
        "GOOGLE_API_KEY",
        re.compile(_B + r"AIza[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])"),
    ),
    CredentialFormat(
        "Hugging Face token",
        "HF_TOKEN",
        re.compile(_B + r"hf_(?=[A-Za-z]*\d|[a-z0-9]*[A-Z])[A-Za-z0-9]{30,}(?![A-Za-z0-9])"),
    ),
    CredentialFormat(
        "JSON Web Token",
        "JWT",
        re.compile(_B + r"eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,}"),
    ),
)
_FORMATS_BY_KIND = {f.kind: f for f in CREDENTIAL_FORMATS}


@dataclass(frozen=True, slots=True)
class CredentialMatch:
    """One credential found in a text: its kind, its text and where it is."""

    kind: str
    env_name: str
    value: str
    start: int
    end: int


# Every format above starts with one of these literal prefixes, so one search screens out
# most strings before the ten format patterns run (AGT302 sees every string literal).
_CREDENTIAL_CANDIDATE = re.compile(
    r"-----BEGIN|sk-|[sr]k_live_|AKIA|ASIA|gh[pousr]_|github_pat_|xox[abpr]-|AIza|hf_|eyJ"
)


def might_hold_credential(text: str) -> bool:
    """False only when no format in `CREDENTIAL_FORMATS` can match anywhere in `text`."""
    return _CREDENTIAL_CANDIDATE.search(text) is not None


def find_credentials(text: str) -> Iterator[CredentialMatch]:
    """Every provider-format credential in `text` that is not an obvious placeholder."""
    if not might_hold_credential(text):
        return
    taken: list[tuple[int, int]] = []
    for fmt in CREDENTIAL_FORMATS:
        for match in fmt.pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            value = match.group(0)
            if _is_fake_credential(fmt.kind, value):
                continue
            taken.append((start, end))
            yield CredentialMatch(fmt.kind, fmt.env_name, value, start, end)


def match_credential(text: str) -> str | None:
    """The kind of provider credential in `text` ("OpenAI API key"), or None."""
    for found in find_credentials(text):
        return found.kind
    return None


def credential_env_name(kind: str) -> str:
    """The environment variable a credential of `kind` conventionally lives in."""
    fmt = _FORMATS_BY_KIND.get(kind)
    return fmt.env_name if fmt is not None else "SECRET"


# The jwt.io sample token: its payload is `{"sub": "1234567890", "name": "John Doe", ...}`.
_SAMPLE_JWT_NAMES = ("John Doe",)


def _is_fake_credential(kind: str, value: str) -> bool:
    if kind == "private key":
        return False
    if kind == "JSON Web Token":
        payload = value.split(".")[1]
        try:
            decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        except (binascii.Error, ValueError):
            return True  # not base64: not a token
        text = decoded.decode("utf-8", "replace")
        return not text.startswith("{") or any(n in text for n in _SAMPLE_JWT_NAMES)
    return is_placeholder(value)


_PLACEHOLDER_WORDS = (
    # values that say they are not a working credential (`sk-invalid-key-deliberately-...`)
    "invalid",
    "broken",
    "bogus",
    "demo",
    "synthetic",
    "not-a-real",
    "not_a_real",
    "notreal",
    "your",
    "example",
    "sample",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "dummy",
    "fake",
    "replace",
    "redacted",
    "insert",
    "xxxx",
    "****",
    "••",
    "todo",
    "fixme",
    "here",
    "secret_key_here",
)
_EXACT_PLACEHOLDERS = frozenset(
    {"xxx", "test", "testing", "secret", "password", "passwd", "token", "key", "none", "null"}
)
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]+")
_TEST_WORD = re.compile(r"(?:^|[^a-z])(?:test|mock)(?:[^a-z]|$)", re.I)
_SEQUENCES = ("0123456", "1234567", "abcdefg", "qwerty")


def is_placeholder(text: str) -> bool:
    """An obvious stand-in for a secret: `sk-...`, `your-api-key`, `<KEY>`, `changeme`,
    an environment variable *name* (`OPENAI_API_KEY`), a template (`{key}`, `$KEY`),
    or repeated/sequential characters (`xxxxxxxx`, `12345678`)."""
    value = text.strip()
    if not value:
        return True
    lowered = value.lower()
    if lowered in _EXACT_PLACEHOLDERS:
        return True
    if any(mark in value for mark in ("...", ELLIPSIS, "<", ">", "{", "}", "$")):
        return True
    if _ENV_NAME.fullmatch(value):
        return True
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return True
    if _TEST_WORD.search(value):
        return True
    if any(seq in lowered for seq in _SEQUENCES):
        return True
    alnum = [c for c in value if c.isalnum()]
    if len(set(alnum)) <= 3:
        return True
    # A run of 6+ identical characters (`sk-aaaaaaaa...`) never occurs in a random key.
    return re.search(r"(.)\1{5,}", value) is not None


def shannon_entropy(text: str) -> float:
    """Shannon entropy of `text` in bits per character (0.0 for an empty string)."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


_HEX = re.compile(r"[0-9a-fA-F]+")
_BASE64ISH = re.compile(r"[A-Za-z0-9+/=_\-.~:@!#%^&*]+")
_FILE_SUFFIX = re.compile(r"\.(?:json|ya?ml|toml|ini|env|pem|key|crt|txt|cfg|conf|py)$", re.I)


def is_high_entropy_secret(text: str) -> bool:
    """A literal that looks random enough to be a key: at least 20 characters, no spaces,
    entropy at least 3.0 bits/char for hex and 3.5 for base64-like text; not a URL, a
    path or a placeholder."""
    value = text.strip()
    if len(value) < 20 or value != text or any(c.isspace() for c in value):
        return False
    if "://" in value or value.startswith(("/", "./", "~")) or _FILE_SUFFIX.search(value):
        return False
    if is_placeholder(value):
        return False
    if _HEX.fullmatch(value):
        return shannon_entropy(value) >= 3.0
    if _BASE64ISH.fullmatch(value):
        return shannon_entropy(value) >= 3.5
    return False


def _secret_pieces(secret: str) -> list[str]:
    """The secret, and each line of a multi-line secret (a source line shows one)."""
    pieces = [secret]
    if "\n" in secret or "\\n" in secret:
        for line in re.split(r"\n|\\n", secret):
            line = line.strip()
            if len(line) >= 8:
                pieces.append(line)
    return pieces


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every given secret and every provider-format credential masked."""
    pieces = {p for s in secrets if len(s) >= 4 for p in _secret_pieces(s)}
    for piece in sorted(pieces, key=len, reverse=True):
        if piece in text:
            text = text.replace(piece, mask_secret(piece))
    found = list(find_credentials(text))
    for match in sorted(found, key=lambda m: m.start, reverse=True):
        text = text[: match.start] + mask_secret(match.value) + text[match.end :]
    return text


def env_var_name(name: str) -> str:
    """`api_key` -> `API_KEY`, `openai-key` -> `OPENAI_KEY` (an environment variable name)."""
    upper = re.sub(r"[^A-Z0-9]+", "_", "_".join(name_words(name)).upper()).strip("_")
    if not upper:
        return "SECRET"
    return f"_{upper}" if upper[0].isdigit() else upper
