"""A bounded ReAct loop with validated tool calls and retries with backoff."""

import asyncio
import json
import random
import time
from dataclasses import dataclass, field

from agentsense.runtime.contract import validate_call
from agentsense.runtime.registry import get_tool

MAX_STEPS = 8


@dataclass
class Transcript:
    messages: list[dict[str, str]] = field(default_factory=list)


def ask_with_retry(ask, messages, attempts: int = 3) -> str:
    for attempt in range(attempts):
        try:
            return ask(messages)
        except ConnectionError:
            if attempt == attempts - 1:
                raise
            time.sleep(2**attempt + random.uniform(0, 0.5))
    raise RuntimeError("unreachable")


def run_agent(ask, question: str, transcript: Transcript | None = None) -> str:
    if transcript is None:
        transcript = Transcript()
    transcript.messages.append({"role": "user", "content": question})
    seen: set[str] = set()
    for _step in range(MAX_STEPS):
        reply = json.loads(ask_with_retry(ask, transcript.messages))
        if reply["action"] == "final_answer":
            return str(reply["input"])
        key = json.dumps(reply, sort_keys=True)
        if key in seen:
            raise RuntimeError(f"the model repeated {reply['action']!r}")
        seen.add(key)
        registered = get_tool(reply["action"])
        arguments = validate_call(registered.spec, reply["input"])
        result = registered.call(**arguments)
        transcript.messages.append({"role": "tool", "content": str(result)})
    raise RuntimeError(f"no answer within {MAX_STEPS} steps")


_background: set[asyncio.Task[object]] = set()


async def fan_out(fetch, urls: list[str]) -> list[str]:
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await asyncio.gather(*(fetch(url) for url in urls))
    task = asyncio.create_task(asyncio.sleep(0))
    _background.add(task)
    task.add_done_callback(_background.discard)
    await asyncio.sleep(min(1.0, loop.time() - started))
    return list(results)
