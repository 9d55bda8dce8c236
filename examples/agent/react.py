"""A ReAct loop: ask the model, run the tool it picks, feed the observation back."""

import json
import time

from openai import OpenAI

from agent.registry import TOOLS

client = OpenAI()
SYSTEM = "You are a helpful research assistant. Use tools when needed."


def ask_model(messages):
    response = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    return response.choices[0].message.content


def call_with_retry(messages, max_attempts=3):
    last_error = None
    for _attempt in range(max_attempts):
        try:
            return ask_model(messages)
        except ConnectionError as error:
            last_error = error
            time.sleep(1)
    raise last_error


def run_agent(question, history=[]):
    history.append({"role": "user", "content": question})
    messages = [{"role": "system", "content": SYSTEM}, *history]
    while True:
        response = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        reply = json.loads(response.choices[0].message.content)
        if reply["action"] == "final_answer":
            return reply["input"]
        observation = TOOLS[reply["action"]](**reply["input"])
        messages.append({"role": "tool", "content": str(observation)})


def run_code_agent(task):
    """Let the model write Python and run it: the classic 'code interpreter' demo."""
    code = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": task}]
    ).choices[0].message.content
    exec(code)


def run_bounded(question, max_steps=8):
    """A 'stateless' loop: the model only ever sees the last observation."""
    observation = question
    for _step in range(max_steps):
        response = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": observation}]
        )
        action = json.loads(response.choices[0].message.content)
        if action["name"] == "final_answer":
            return action["args"]["answer"]
        observation = str(TOOLS[action["name"]](**action["args"]))
    return None
