"""Framework profiles, one module per framework; PROFILES lists them for the extractor."""

from __future__ import annotations

from agentsense.analyzers.detect.frameworks import (
    agno,
    anthropic,
    crewai,
    fastmcp,
    langchain,
    langroid,
    llama_index,
    marvin,
    mcp,
    openai_agents,
    pydantic_ai,
    smolagents,
)
from agentsense.analyzers.detect.frameworks.base import FrameworkProfile

PROFILES: tuple[FrameworkProfile, ...] = (
    langchain.PROFILE,
    openai_agents.PROFILE,
    smolagents.PROFILE,
    crewai.PROFILE,
    mcp.PROFILE,
    fastmcp.PROFILE,
    pydantic_ai.PROFILE,
    agno.PROFILE,
    anthropic.PROFILE,
    llama_index.PROFILE,
    langroid.PROFILE,
    marvin.PROFILE,
)
