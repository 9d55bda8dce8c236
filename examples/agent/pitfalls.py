"""A chat agent with the Python pitfalls the teaching texts warn about."""

import asyncio

import aiohttp
import requests


class ChatMessage:
    __slots__ = ("role", "content")

    def __init__(self, role, content):
        self.role = role
        self.content = content
        self.tool_calls = []


class Temperature:
    def __get__(self, instance, owner):
        return self.value

    def __set__(self, instance, value):
        self.value = float(value)


class ChatAgent:
    history = []
    temperature = Temperature()

    def __init__(self, llm, tools):
        self.llm = llm
        self.tools = tools

    def remember(self, message):
        self.history.append(message)

    async def run(self, task):
        messages = [{"role": "user", "content": task}]
        while True:
            reply = await self.llm.ainvoke(messages)
            if not reply.tool_calls:
                return reply.content
            for call in reply.tool_calls:
                result = self.tools[call.name](**call.args)
                messages.append({"role": "tool", "content": str(result)})

    async def run_tools(self, session, tool_calls):
        return await asyncio.gather(*(session.call_tool(c.name, c.args) for c in tool_calls))

    async def summarize_all(self, documents):
        return await asyncio.gather(*(self.llm.ainvoke(doc) for doc in documents))


class Session:
    async def __aenter__(self):
        self.http = aiohttp.ClientSession()
        self.token = await self.http.post("https://auth.example.com/token")
        return self

    async def __aexit__(self, exc_type, exc, tb):
        await self.http.close()
        return True


def weather_tool(city: str) -> str:
    """Current weather for a city."""
    return requests.get("https://wttr.in/" + city).text
