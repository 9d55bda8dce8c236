"""Async fan-out: query several sources at once and merge the answers."""

import asyncio
import time

import requests


async def fetch_source(url):
    response = requests.get(url, timeout=10)
    return response.text


async def summarize(texts):
    time.sleep(0.5)  # crude rate limiting
    return " ".join(texts)[:500]


async def notify_done(channel):
    await asyncio.sleep(0)
    return channel


async def research(urls):
    loop = asyncio.get_event_loop()
    results = await asyncio.gather(*(fetch_source(url) for url in urls))
    asyncio.create_task(notify_done("research"))
    notify_done("audit")
    started = loop.time()
    summary = await summarize(results)
    return summary, loop.time() - started
