"""Which Python imports each framework's examples in the parity tests.

Most frameworks share the test environment (the `frameworks` extra). langroid pulls ~70 more
packages (a vector store, document parsers, onnxruntime) and pins rich < 14, so .ci/run installs
it into its own `.venv-langroid`; its parity checks run there. langroid's import also downloads
a tiktoken encoding (a class default builds a tokenizer), which a CI without that network
cannot do: the prelude replaces the tokenizer, which no tool class uses.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Frameworks installed into a venv of their own: import name -> (venv folder, env override).
# CrewAI is not installed by .ci/run (it pins mcp < 2, openai < 3, pydantic < 2.13, and weighs
# ~1 GB): its checks run where a Python that has it is given.
SEPARATE = {
    "langroid": (".venv-langroid", "AGENTSENSE_LANGROID_PYTHON"),
    "crewai": (".venv-crewai", "AGENTSENSE_CREWAI_PYTHON"),
    # marvin 3.2.7 imports pydantic-ai 1.x names: .ci/run pins `pydantic-ai>=1.9,<2` there.
    "marvin": (".venv-marvin", "AGENTSENSE_MARVIN_PYTHON"),
}

PRELUDE = {
    "langroid": (
        "import tiktoken\n"
        "class _OfflineEncoding:\n"
        "    def encode(self, text, *args, **kwargs):\n"
        "        return list(text.encode())\n"
        "    def decode(self, tokens, *args, **kwargs):\n"
        "        return bytes(tokens).decode(errors='ignore')\n"
        "tiktoken.encoding_for_model = lambda *args, **kwargs: _OfflineEncoding()\n"
        "tiktoken.get_encoding = lambda *args, **kwargs: _OfflineEncoding()\n"
    ),
    "crewai": "import os\nos.environ.setdefault('CREWAI_DISABLE_TELEMETRY', 'true')\n",
    # marvin makes its home folder (its database) on import: a temporary one, not ~/.marvin.
    "marvin": "import os, tempfile\nos.environ.setdefault('MARVIN_HOME_PATH', tempfile.mkdtemp())\n",
}


def python_for(framework: str) -> str | None:
    """The interpreter that has the framework, or None when none here does."""
    if framework in SEPARATE:
        folder, variable = SEPARATE[framework]
        given = os.environ.get(variable)
        candidates = [Path(given)] if given else []
        candidates.append(ROOT / folder / "bin" / "python")
        for candidate in candidates:
            if candidate.is_file():
                return str(candidate)
    return sys.executable if importlib.util.find_spec(framework) is not None else None


def skip_reason(framework: str) -> str:
    if framework == "crewai":
        return (
            "crewai is not installed here (CI leaves it out: it requires mcp < 2 and openai < 3); "
            "set AGENTSENSE_CREWAI_PYTHON to a Python that has crewai 1.15.30"
        )
    if framework in SEPARATE:
        folder, variable = SEPARATE[framework]
        return (
            f"{framework} is not installed (.ci/run puts it in {folder}; or set {variable} "
            "to a Python that has it)"
        )
    return f"{framework} is not installed (pip install -e '.[frameworks]')"
