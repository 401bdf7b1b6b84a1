"""Tool loops through the gateway's Responses API, run by the real Agents SDK and AI SDK on
the stand-in (which calls get_weather the way Gemini calls a tool), under the spy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.clients.recipes import CHAT_PATH, Lab
from tests.fake_google import FakeGoogle

pytestmark = [pytest.mark.clients, pytest.mark.responses]
SERVE = (
    "vertex-openai-env --project my-proj --location us-central1 --model gemini-2.5-flash "
    "exec --serve -- {program}\n"
)
AGENT = """\
import asyncio, os, sys
from agents import Agent, Runner, function_tool
from agents.exceptions import ModelBehaviorError

@function_tool
def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    return f"sunny in {city}"

agent = Agent(name="a", instructions="Answer.", model=os.environ["OPENAI_MODEL"], tools=[get_weather])

async def main() -> None:
    if sys.argv[1:] == ["run"]:
        done = await Runner.run(agent, "weather in Paris?")
        print(done.final_output, *[type(item).__name__ for item in done.new_items])
    else:
        streamed = Runner.run_streamed(agent, "weather in Paris?")
        try:
            async for _ in streamed.stream_events():
                pass
            print(streamed.final_output)
        except ModelBehaviorError as failed:
            print("failed:", failed)

asyncio.run(main())
"""
AI_SDK = """\
import { generateText, streamText, tool, stepCountIs } from "ai";
import { openai } from "@ai-sdk/openai";
import { z } from "zod";

const tools = { get_weather: tool({
  description: "The weather in a city.",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => `sunny in ${city}`,
}) };
const options = { model: openai(process.env.OPENAI_MODEL), prompt: "weather in Paris?", tools,
  stopWhen: stepCountIs(3), providerOptions: { openai: { store: STORE } } };
if (process.argv[2] === "stream") {
  const result = streamText(options);
  const parts = [];
  for await (const part of result.fullStream) parts.push(part.type);
  console.log(JSON.stringify({ text: await result.text, parts: [...new Set(parts)] }));
} else {
  const result = await generateText(options);
  console.log(JSON.stringify({ text: result.text, steps: result.steps.length, finish: result.finishReason }));
}
"""


def bodies(google: FakeGoogle) -> list[Any]:
    return [chat.json() for chat in google.chats]


@pytest.mark.parametrize("how", ["run", "stream"])
def test_the_agents_sdk_calls_a_tool_and_answers_with_its_output(
    how: str, lab: Lab, google: FakeGoogle
) -> None:
    run = SERVE.format(program=f"python app.py {how}")
    printed = lab.run(replace={"run.sh": run, "app.py": AGENT})
    assert printed.startswith("the tool said: sunny in Paris")
    if how == "run":
        assert printed.split()[-3:] == ["ToolCallItem", "ToolCallOutputItem", "MessageOutputItem"]
    first, second = bodies(google)
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert second["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_fake_1",
        "content": "sunny in Paris",
    }


def test_the_agents_sdk_reports_a_stream_that_broke_off(lab: Lab, google: FakeGoogle) -> None:
    google.fail_next(CHAT_PATH, google.cut_stream())
    printed = lab.run(replace={"run.sh": SERVE.format(program="python app.py stream"),
                               "app.py": AGENT})  # fmt: skip
    assert printed.startswith("failed:")
    assert "response.failed" in printed
    assert "Vertex AI stream broke off" in printed


@pytest.mark.parametrize("store", [True, False])
@pytest.mark.parametrize("how", ["generate", "stream"])
def test_the_ai_sdk_runs_a_tool_loop_with_or_without_the_store(
    how: str, store: bool, lab: Lab, google: FakeGoogle
) -> None:
    """With the store (the AI SDK's default), step 2 refers to step 1's text by id
    (item_reference): the gateway puts the text back from what it kept."""
    lab.node_modules()
    google.preamble = "Let me look."
    app = AI_SDK.replace("STORE", json.dumps(store))
    printed = lab.run(replace={"run.sh": SERVE.format(program=f"node app.mjs {how}"),
                               "app.mjs": app})  # fmt: skip
    result = json.loads(printed.splitlines()[-1])
    assert result["text"].endswith("the tool said: sunny in Paris")
    if how == "generate":
        assert (result["steps"], result["finish"]) == (2, "stop")
    else:
        assert {"tool-call", "tool-result", "text-delta", "finish"} <= set(result["parts"])
    _, second = bodies(google)
    assistant = second["messages"][-2]
    assert assistant["content"] == "Let me look."  # resolved from the reference, or sent whole
    assert assistant["tool_calls"][0]["id"] == "call_fake_1"
