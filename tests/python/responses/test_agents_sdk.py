"""The OpenAI Agents SDK through the gateway's Responses API (its default model class)."""

import asyncio

import pytest
from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled
from openai import AsyncOpenAI

from gateway.support import HAIKU35, KEY

set_tracing_disabled(True)

CALLS = []


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    CALLS.append(city)
    return f"sunny in {city}"


def agent_for(gateway, instructions="You are a weather bot."):
    client = AsyncOpenAI(base_url=gateway.api(), api_key=KEY, max_retries=0, timeout=30)
    model = OpenAIResponsesModel(model=HAIKU35, openai_client=client)
    return Agent(name="weather", instructions=instructions, model=model, tools=[get_weather])


def test_runner_run_with_a_function_tool(gateway, emulator, marker):
    CALLS.clear()
    agent = agent_for(gateway)
    prompt = f'{marker}\n#tool get_weather {{"city": "Paris"}}'
    result = asyncio.run(Runner.run(agent, prompt, max_turns=2))
    assert CALLS == ["Paris"]
    assert result.final_output == "You said: Tool result: sunny in Paris"
    tool_turn = emulator.find("sunny in Paris")["body"]
    assert tool_turn["system"][0]["text"] == "You are a weather bot."


def test_runner_run_streamed(gateway, marker):
    CALLS.clear()
    agent = agent_for(gateway)

    async def run():
        result = Runner.run_streamed(agent, f'{marker}\n#tool get_weather {{"city": "Rome"}}', max_turns=2)
        kinds = [event.type async for event in result.stream_events()]
        return result, kinds

    result, kinds = asyncio.run(run())
    assert CALLS == ["Rome"]
    assert "raw_response_event" in kinds and "run_item_stream_event" in kinds
    assert result.final_output == "You said: Tool result: sunny in Rome"


@pytest.mark.parametrize("text", ["plain answer"])
def test_runner_without_tools(gateway, marker, text):
    client = AsyncOpenAI(base_url=gateway.api(), api_key=KEY, max_retries=0, timeout=30)
    agent = Agent(name="echo", model=OpenAIResponsesModel(model=HAIKU35, openai_client=client))
    result = asyncio.run(Runner.run(agent, f"{text} {marker}"))
    assert result.final_output == f"You said: {text} {marker}"
