"""The official `openai` Python client pointed at callvault's proxy, as a voice platform would.

Usage: python openai_client.py BASE_URL TOKEN CONVERSATION
Prints one JSON object: the whole answer, the streamed answer, the streamed tool-call
arguments, and the usage the stream reported.
"""
import json
import sys

from openai import OpenAI

base_url, token, conversation = sys.argv[1], sys.argv[2], sys.argv[3]
client = OpenAI(
    base_url=base_url,
    api_key=token,
    default_headers={"X-Callvault-Conversation": conversation},
    max_retries=0,
)
messages = [{"role": "user", "content": "my card is 4111 1111 1111 1111 and my phone is 415 555 0132"}]
tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]

whole = client.chat.completions.create(model="echo", messages=messages)

streamed, arguments, usage = "", "", None
stream = client.chat.completions.create(
    model="split-13", messages=messages, tools=tools, stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.usage is not None:
        usage = chunk.usage.total_tokens
    for choice in chunk.choices:
        if choice.delta.content:
            streamed += choice.delta.content
        for call in choice.delta.tool_calls or []:
            if call.function and call.function.arguments:
                arguments += call.function.arguments

error = None
try:
    client.chat.completions.create(model="garbage", messages=messages)
except Exception as e:  # the proxy's 502, in OpenAI's error shape
    error = type(e).__name__ + ": " + str(getattr(e, "status_code", ""))

print(json.dumps({
    "whole": whole.choices[0].message.content,
    "streamed": streamed,
    "arguments": arguments,
    "usage": usage,
    "error": error,
}))
