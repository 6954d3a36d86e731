"""drafter's own work per reply, against a bare `openai` call to the same local server.

Both send the same messages with the same parameters to one real local llama.cpp server, so the
model's time is the same; the difference is drafter's work (prompt rendering, review, cleaning,
composing, the retry wrapper). Also prints the pipeline's own timing split and the CPU time spent
in this process per reply (the model runs in the server's process, so this is drafter's work).
"""

from __future__ import annotations

import statistics
import sys
import time

import openai

from drafter import pipeline
from drafter.config import load_settings
from drafter.llm.client import ChatClient
from drafter.llm.local import LOCAL_MODEL_NAME, LocalServer
from drafter.prompting import Prompts
from drafter.review.reviewer import Reviewer
from drafter.review.signals import context_from_ticket
from drafter.styleguide import load_styleguide
from drafter.tickets.model import Message, Ticket

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5
TEXT = ("Hi, my coffee machine arrived today with the glass jug shattered. I'm upset: it was a "
        "birthday present for Saturday. Can you send a new jug before then?")


def main() -> None:
    """Measure and print."""
    settings = load_settings()
    team = {k.split(".", 1)[1]: v for k, v in settings.values.items()
            if k.startswith("team.") and isinstance(v, str)}
    ticket = Ticket(messages=[Message(body=TEXT, latest=TEXT, sender_name="Jane Doe")],
                    subject="Broken jug", customer_name="Jane Doe")
    guide = load_styleguide()
    prompts = Prompts()
    reviewer = Reviewer(guide)
    context = context_from_ticket(ticket, channel="email", body_only=True)
    messages = prompts.reply_messages(guide, team, ticket, "email")
    params = {"model": LOCAL_MODEL_NAME, "temperature": settings["llm.temperature"],
              "max_tokens": settings["llm.max_tokens"], "seed": settings["llm.seed"]}

    with LocalServer() as server:
        bare = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        client = ChatClient(server.base_url, None, LOCAL_MODEL_NAME,
                            temperature=params["temperature"], max_tokens=params["max_tokens"],
                            seed=params["seed"])
        bare.chat.completions.create(messages=messages, **params)  # warm the server's prompt cache
        bare_wall, bare_cpu, ours_wall, ours_cpu, own = [], [], [], [], []
        bare_tokens, ours_tokens = [], []

        def bare_call() -> None:
            w, c = time.perf_counter(), time.process_time()
            response = bare.chat.completions.create(messages=messages, **params)
            bare_wall.append(time.perf_counter() - w)
            bare_cpu.append(time.process_time() - c)
            bare_tokens.append(response.usage.completion_tokens if response.usage else -1)

        def drafter_call() -> None:
            w, c = time.perf_counter(), time.process_time()
            result = pipeline.run(ticket, prompts=prompts, guide=guide, client=client,
                                  reviewer=reviewer, context=context, team=team, channel="email",
                                  max_revisions=0)
            ours_wall.append(time.perf_counter() - w)
            ours_cpu.append(time.process_time() - c)
            own.append(result.timings["prompting"] + result.timings["review"])
            ours_tokens.append(result.usage.get("completion_tokens", -1))

        for i in range(N):
            # Alternate which goes first, so neither always meets a warmer server.
            for call in ((bare_call, drafter_call) if i % 2 == 0 else (drafter_call, bare_call)):
                call()

    med = statistics.median
    print(f"replies measured: {N} (median), same local server, same messages and parameters")
    print(f"bare openai call      wall {med(bare_wall) * 1000:8.1f} ms   cpu {med(bare_cpu) * 1000:6.2f} ms")
    print(f"drafter pipeline      wall {med(ours_wall) * 1000:8.1f} ms   cpu {med(ours_cpu) * 1000:6.2f} ms")
    print(f"completion tokens per reply: bare {bare_tokens}, drafter {ours_tokens}")
    print(f"wall ratio drafter / bare: {med(ours_wall) / med(bare_wall):.3f}")
    print(f"drafter's own work (prompting + review), per reply: {med(own) * 1000:.2f} ms")
    print(f"extra CPU in this process over the bare call, per reply: "
          f"{(med(ours_cpu) - med(bare_cpu)) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
