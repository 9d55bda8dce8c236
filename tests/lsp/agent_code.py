"""Generates realistic agent modules of a chosen size (for the latency bench and edit tests)."""

from __future__ import annotations

HEADER = '''"""Support agent: tools, a ReAct loop and prompt building (generated sample)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from agentsense.runtime.registry import Agent, BaseTool, tool

MAX_STEPS = 8
SYSTEM_PROMPT = "You are a careful support agent. Use the tools when needed."
TOOLS: dict[str, Any] = {}

'''

BLOCK = '''

@tool(description="Search the knowledge base for articles about a topic ({i}).")
def search_{i}(query: str, limit: int = 5) -> list[str]:
    """Search the knowledge base."""
    results = []
    for index in range(limit):
        results.append(f"{{query}} result {{index}} from shard {i}")
    return results


@tool
def lookup_order_{i}(order_id: str, history=[]) -> dict[str, Any]:
    """Look up one order by its id."""
    history.append(order_id)
    record = {{"id": order_id, "status": "shipped", "shard": {i}}}
    if not order_id:
        raise ValueError("order_id is required")
    return record


class WeatherTool{i}(BaseTool):
    name = "weather_{i}"
    description = "Current weather for a city."

    def execute(self, city: str, units: str = "metric") -> str:
        reading = {{"city": city, "units": units, "temperature": 21}}
        return json.dumps(reading)


class SupportAgent{i}(Agent, agent_type="support_{i}"):
    def __init__(self, client: Any, tools: dict[str, Any] | None = None) -> None:
        self.client = client
        self.tools = tools or {{}}
        self.messages: list[dict[str, str]] = []

    def step(self, question: str) -> str:
        self.messages.append({{"role": "user", "content": question}})
        reply = self.client.chat(messages=self.messages, system=SYSTEM_PROMPT)
        self.messages.append({{"role": "assistant", "content": reply}})
        return reply

    def run(self, question: str) -> str:
        answer = ""
        for _step in range(MAX_STEPS):
            answer = self.step(question)
            if answer.startswith("FINAL"):
                break
        return answer


async def fetch_profile_{i}(user_id: str, retries: int = 3) -> dict[str, Any]:
    delay = 0.1
    for attempt in range(retries):
        try:
            await asyncio.sleep(delay)
            return {{"user": user_id, "attempt": attempt, "shard": {i}}}
        except ConnectionError:
            delay *= 2
    return {{}}


def build_prompt_{i}(question: str, context: list[str]) -> str:
    joined = "\\n".join(context)
    return f"{{SYSTEM_PROMPT}}\\n\\nContext:\\n{{joined}}\\n\\nQuestion: {{question}}"
'''


def agent_module(lines: int) -> str:
    """A module of about `lines` lines made of repeated, distinct agent blocks."""
    parts = [HEADER]
    count = len(HEADER.splitlines())
    index = 0
    while count < lines:
        block = BLOCK.format(i=index)
        parts.append(block)
        count += len(block.splitlines())
        index += 1
    return "".join(parts)


def line_inside_function(source: str, near: float = 0.5) -> int:
    """0-based row of a body line of a function near the given fraction of the file."""
    rows = source.splitlines()
    start = int(len(rows) * near)
    for row in range(start, len(rows)):
        if rows[row].startswith("    results = []"):
            return row
    raise ValueError("no function body found")


CLASS_HEADER = '''

class SupportDesk(Agent, agent_type="support_desk"):
    """One agent whose tools and helpers are all methods (a long class body)."""

    retries = 3
    greeting = SYSTEM_PROMPT

    def __init__(self, client: Any, tools: dict[str, Any] | None = None) -> None:
        self.client = client
        self.tools = tools or {}
        self.messages: list[dict[str, str]] = []
'''

METHOD_BLOCK = '''
    def search_{i}(self, query: str, limit: int = 5) -> list[str]:
        """Search the knowledge base."""
        results = []
        for index in range(limit):
            results.append(f"{{query}} result {{index}} from shard {i}")
        return results

    def lookup_order_{i}(self, order_id: str, history=[]) -> dict[str, Any]:
        """Look up one order by its id."""
        history.append(order_id)
        record = {{"id": order_id, "status": "shipped", "shard": {i}}}
        if not order_id:
            raise ValueError("order_id is required")
        return record

    def step_{i}(self, question: str) -> str:
        self.messages.append({{"role": "user", "content": question}})
        reply = self.client.chat(messages=self.messages, system=SYSTEM_PROMPT)
        self.messages.append({{"role": "assistant", "content": reply}})
        return reply

    async def fetch_profile_{i}(self, user_id: str) -> dict[str, Any]:
        delay = 0.1
        for attempt in range(self.retries):
            try:
                await asyncio.sleep(delay)
                return {{"user": user_id, "attempt": attempt, "shard": {i}}}
            except ConnectionError:
                delay *= 2
        return {{}}

    def build_prompt_{i}(self, question: str, context: list[str]) -> str:
        joined = "\\n".join(context)
        return f"{{SYSTEM_PROMPT}}\\n\\nContext:\\n{{joined}}\\n\\nQuestion: {{question}}"
'''


def agent_class_module(class_lines: int, lines: int = 0) -> str:
    """`agent_module(lines)` followed by one class of about `class_lines` lines whose body is
    methods (real code keeps most of its lines in classes)."""
    parts = [agent_module(lines) if lines else HEADER, CLASS_HEADER]
    count = len(CLASS_HEADER.splitlines())
    index = 0
    while count < class_lines:
        block = METHOD_BLOCK.format(i=index)
        parts.append(block)
        count += len(block.splitlines())
        index += 1
    return "".join(parts)


def line_inside_method(source: str, near: float = 0.5) -> int:
    """0-based row of a body line of a method near the given fraction of the file."""
    rows = source.splitlines()
    for row in range(int(len(rows) * near), len(rows)):
        if rows[row].startswith("        results = []"):
            return row
    raise ValueError("no method body found")
