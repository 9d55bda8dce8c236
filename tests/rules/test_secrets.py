"""Secret helpers (masking, provider formats, placeholders, entropy, redaction) and AGT30x/AGT402."""

from __future__ import annotations

import pytest

from agentsense.analyzers.detect.secrets import (
    credential_env_name,
    env_var_name,
    find_credentials,
    is_ambiguous_token_name,
    is_high_entropy_secret,
    is_placeholder,
    is_secret_name,
    mask_secret,
    match_credential,
    redact,
    shannon_entropy,
)
from tests.helpers import fix_all, lint_with

# Random-looking values in each provider's format (generated; none is a real credential).
OPENAI = "sk-proj-u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAj"
PROVIDER_KEYS = {
    "OpenAI API key": [OPENAI, "sk-IhKtJ0RlgLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtHF4vU"],
    "Anthropic API key": ["sk-ant-api03-CsMehGAkWvj7FAc9QeWJKY40uvSwMFLZDe1f8rES"],
    "AWS access key ID": ["AKIAEDT2SYWB3WKH5DNS", "ASIAIPZZ5FK2Z9RI19R0"],
    "GitHub token": [
        "ghp_wR4y9ojfljoQoaF1LlqsajAIxNKu8iS2G8NP",
        "gho_RVdD53X83RZJzzzzgEOzdmenCkhvMdgaKjIg",
        "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",
    ],
    "Slack token": ["xoxb-338750047439-5755131373537-N5N1aE6PwZPf1Qh6yYTWmE4l"],
    "Google API key": ["AIzaBYOvfZ8UzDzV8fUkkibjL5DZPjN0MEQ7wjJ"],
    "Stripe live key": ["sk_live_JibaZUPgHV7iB3m03nbqnsGp", "rk_live_WLuqIA1id6Vw5DQL05HA064G"],
    "Hugging Face token": ["hf_iIjHGb3CXlMaXZjljENUhJduRHHJEYXg4J"],
    "private key": [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n",
        "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
    ],
    "JSON Web Token": [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInJvbGUiOiJhZG1pbiJ9"
        ".dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    ],
}


# --- mask_secret ---------------------------------------------------------------------------


def test_mask_shows_at_most_four_and_two() -> None:
    assert mask_secret("sk-proj-abc...XY9Q") == "sk-p…9Q"
    assert mask_secret(OPENAI) == "sk-p…Aj"
    assert mask_secret("0123456789") == "0123…89"


@pytest.mark.parametrize("value", ["", "a", "hunter2", "123456789"])
def test_mask_hides_short_values_entirely(value: str) -> None:
    assert mask_secret(value) == "…"


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "apiKey",
        "OPENAI_API_KEY",
        "db_password",
        "clientSecret",
        "private_key",
        "passwd",
        "credentials",
        "access_token",
        "token",
        "SECRET_KEY",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "max_tokens",
        "token_count",
        "num_tokens",
        "tokens_used",
        "token_limit",
        "tokenizer",
        "prompt_tokens",
        "maxTokens",
        "api_key_env",
        "token_url",
        "has_api_key",
        "secretary",
        "password_hash",
        "eos_token",
        "pad_token_id",
        "tiktoken_encoding",
        "secret_arn",
        "model",
        "",
    ],
)
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


def test_ambiguous_token_names() -> None:
    assert is_ambiguous_token_name("token")
    assert is_ambiguous_token_name("next_token")
    assert not is_ambiguous_token_name("access_token")
    assert not is_ambiguous_token_name("github_token")
    assert not is_ambiguous_token_name("api_key")
    assert not is_ambiguous_token_name("OPENAI_TOKEN")


def test_env_var_name() -> None:
    assert env_var_name("api_key") == "API_KEY"
    assert env_var_name("openaiApiKey") == "OPENAI_API_KEY"
    assert env_var_name("x-api-key") == "X_API_KEY"
    assert env_var_name("---") == "SECRET"


# --- provider formats ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [(kind, value) for kind, values in PROVIDER_KEYS.items() for value in values],
)
def test_match_credential_each_provider(kind: str, value: str) -> None:
    assert match_credential(value) == kind
    assert match_credential(f"Authorization: Bearer {value} ") == kind


def test_find_credentials_gives_spans() -> None:
    text = f"a={OPENAI} b=AKIAEDT2SYWB3WKH5DNS"
    found = list(find_credentials(text))
    assert [(m.kind, text[m.start : m.end]) for m in found] == [
        ("OpenAI API key", OPENAI),
        ("AWS access key ID", "AKIAEDT2SYWB3WKH5DNS"),
    ]


def test_credential_env_names() -> None:
    assert credential_env_name("OpenAI API key") == "OPENAI_API_KEY"
    assert credential_env_name("GitHub token") == "GITHUB_TOKEN"
    assert credential_env_name("unknown") == "SECRET"


@pytest.mark.parametrize(
    "value",
    [
        "sk-...",
        "sk-",
        "sk-proj-",
        "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "sk-proj-your-key-goes-here-1234567890",
        "sk-proj-abcdefghijklmnopqrstuvwxyz0123",
        "AKIAIOSFODNN7EXAMPLE",
        "AKIA0000000000000000",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "ghp_",
        "xoxb-your-token",
        "sk_test_JibaZUPgHV7iB3m03nbqnsGp",
        "hf_hub_download",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\n<your key here>",
        # jwt.io's sample token
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l"
        "IiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "task-u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d",
        "OPENAI_API_KEY",
        "",
    ],
)
def test_match_credential_ignores_placeholders(value: str) -> None:
    assert match_credential(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "sk-...",
        "your-api-key",
        "<KEY>",
        "xxx",
        "changeme",
        "dummy",
        "test",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "${API_KEY}",
        "{api_key}",
        "aaaaaaaaaaaaaaaaaaaa",
        "sk-test-u8jzPde0IgxLd6Gn",
        "",
        "   ",
    ],
)
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", [OPENAI, "q7Vz2LmX9pRt4KwB8nYc3HsJ", "AKIAEDT2SYWB3WKH5DNS"])
def test_real_looking_values_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


# --- entropy -------------------------------------------------------------------------------


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)
    assert shannon_entropy("0123456789abcdef") == pytest.approx(4.0)


def test_high_entropy_thresholds() -> None:
    # base64-ish: 3.5 bits/char; hex: 3.0 bits/char; both at least 20 characters.
    assert is_high_entropy_secret("q7Vz2LmX9pRt4KwB8nYc3HsJ")
    assert is_high_entropy_secret("9f2c4e8a1b7d3f6e0a5c9b2d8e4f1a7c")
    low_base64 = "abababababcdcdcdcdcdXY"  # 22 chars, entropy ~2.4
    assert shannon_entropy(low_base64) < 3.5
    assert not is_high_entropy_secret(low_base64)
    low_hex = "aabbaabbaabbaabbaabbccdd"  # hex, entropy ~1.9
    assert not is_high_entropy_secret(low_hex)
    hex_3 = "00112233445566778899aabb"  # hex, entropy ~3.58 >= 3.0
    assert shannon_entropy(hex_3) >= 3.0
    assert is_high_entropy_secret(hex_3)
    assert not is_high_entropy_secret("q7Vz2LmX9pRt4KwB8nY")  # 19 characters
    assert not is_high_entropy_secret("q7Vz2LmX9 pRt4KwB8nYc3HsJ")  # a space: prose
    assert not is_high_entropy_secret("https://api.example.org/v1/Xk29vLq8")
    assert not is_high_entropy_secret("/etc/agent/q7Vz2LmX9pRt4KwB8nYc3HsJ.json")
    assert not is_high_entropy_secret("OPENAI_API_KEY_FOR_PRODUCTION")


# --- redact --------------------------------------------------------------------------------


def test_redact_given_secrets_and_provider_keys() -> None:
    line = f'client = OpenAI(api_key="{OPENAI}")  # db: q7Vz2LmX9pRt4KwB8nYc3HsJ'
    out = redact(line, ["q7Vz2LmX9pRt4KwB8nYc3HsJ"])
    assert OPENAI not in out and "q7Vz2LmX9pRt4KwB8nYc3HsJ" not in out
    assert out == 'client = OpenAI(api_key="sk-p…Aj")  # db: q7Vz…sJ'


def test_redact_every_occurrence_and_multiline_secrets() -> None:
    key = "ghp_wR4y9ojfljoQoaF1LlqsajAIxNKu8iS2G8NP"
    assert redact(f"{key} {key}", []) == "ghp_…NP ghp_…NP"
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePz\n"
    body_line = "MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePz"
    assert body_line not in redact(f"    {body_line}", [pem])


def test_redact_leaves_other_text_alone() -> None:
    assert redact("max_tokens = 4096", ["ab"]) == "max_tokens = 4096"
    assert redact('api_key = "sk-..."', []) == 'api_key = "sk-..."'


# --- rules beyond their embedded examples --------------------------------------------------


def _codes(source: str, code: str, path: str = "example.py", **kw: object) -> list[str]:
    return [f.message for f in lint_with(source, [code], path, **kw) if f.code == code]


def test_agt302_never_shows_the_secret_and_passes_it_for_redaction() -> None:
    findings = lint_with(f'API_KEY = "{OPENAI}"\n', ["AGT302"])
    assert len(findings) == 1
    assert OPENAI not in findings[0].message
    assert "sk-p…Aj" in findings[0].message
    assert OPENAI in findings[0].secrets


@pytest.mark.parametrize(
    "path", ["tests/test_client.py", "test/conftest.py", "pkg/test_keys.py", "tests/data/keys.py"]
)
def test_agt302_ignore_tests_option(path: str) -> None:
    source = f'API_KEY = "{OPENAI}"\n'
    options = {"AGT302": {"ignore-tests": True}}
    assert _codes(source, "AGT302", path, options=options) == []
    assert len(_codes(source, "AGT302", path)) == 1
    assert len(_codes(source, "AGT302", "src/client.py", options=options)) == 1


def test_agt302_fix_keeps_os_when_it_is_shadowed() -> None:
    source = f'os = None\nAPI_KEY = "{OPENAI}"\n'
    findings = lint_with(source, ["AGT302"])
    assert len(findings) == 1 and findings[0].fix is None


def test_agt301_secret_literal_is_masked() -> None:
    source = f'prompt = "Use this key: " + "{OPENAI}"\n'
    findings = lint_with(source, ["AGT301"])
    assert len(findings) == 1
    assert OPENAI not in findings[0].message and "sk-p…Aj" in findings[0].message
    assert findings[0].secrets == (OPENAI,)
    assert fix_all(source, ["AGT301"]) == 'prompt = "Use this key: " + "<OPENAI_API_KEY>"\n'


def test_agt301_placeholder_in_fstring_and_quotes() -> None:
    source = "def f(api_key):\n    prompt = f'key {api_key!r} and {\"x\" + api_key}'\n"
    fixed = fix_all(source, ["AGT301"])
    assert fixed == 'def f(api_key):\n    prompt = f\'key <API_KEY> and {"x" + "<API_KEY>"}\'\n'


def test_agt301_label_never_includes_a_fallback_value() -> None:
    source = f"import os\nprompt = f\"{{os.getenv('API_KEY', '{OPENAI}')}}\"\n"
    findings = lint_with(source, ["AGT301"])
    assert len(findings) == 1
    assert OPENAI not in findings[0].message
    assert '`os.getenv("API_KEY")`' in findings[0].message


def test_agt301_secret_subscripts() -> None:
    source = "def f(config):\n    prompt = f\"Use {config['api_key']}\"\n"
    assert fix_all(source, ["AGT301"]) == 'def f(config):\n    prompt = f"Use <API_KEY>"\n'
    assert _codes("def f(c):\n    prompt = f\"{c['model']} {c['token']}\"\n", "AGT301") == []


@pytest.mark.parametrize(
    "source",
    [
        # A `content` written to an `.env` file, a URL named `query`, SQL named `query`.
        'def f(api_key):\n    content = f"OPENAI_API_KEY={api_key}\\n"\n',
        'def f(api_key):\n    query = "https://x.org/?q=1&key=" + api_key\n',
        'def f(password):\n    query = "SELECT 1 FROM users WHERE pw = %s" % password\n',
        # A log or exception message is not a prompt.
        'def f(api_key):\n    error_message = f"bad key {api_key}"\n',
        # A `token` loop variable from a stream is text.
        "def f(llm):\n    prompt = ''\n    for token in llm.stream('x'):\n        prompt += f'{token}'\n",
    ],
)
def test_agt301_near_misses(source: str) -> None:
    assert _codes(source, "AGT301") == []


def test_agt303_does_not_cross_functions() -> None:
    source = (
        "def ask(llm):\n    return llm.invoke('code please').content\n\n"
        "def run(code):\n    exec(code)\n"
    )
    assert _codes(source, "AGT303") == []


def test_agt303_exec_of_compile_is_one_finding() -> None:
    source = "def f(llm):\n    exec(compile(llm.invoke('x').content, 'gen', 'exec'))\n"
    messages = _codes(source, "AGT303")
    assert len(messages) == 1 and messages[0].startswith("`compile` compiles")


def test_rules_survive_odd_trees() -> None:
    source = (
        "x = f'{a!r:>{width}}' % (b,)\n"
        "y = ''.format(*args, **kw) + (1 + 2)\n"
        "z = {**base, 'content': f'{q}'}\n"
        "@dataclass\nclass C:\n    a, b = [], {}\n    (c): list = []\n    def m(self): ...\n"
        "class D(metaclass=M): pass\n"
        "match p:\n    case {'api_key': 'q7Vz2LmX9pRt4KwB8nYc3HsJ'}: pass\n"
        "eval(*parts)\nsubprocess.run()\nos.system(cmd=x)\n"
    )
    for code in ("AGT301", "AGT302", "AGT303", "AGT402"):
        lint_with(source, [code])
