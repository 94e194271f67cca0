"""Functions written with the official StateFun Python SDK (apache-flink-statefun 3.3.0),
served to our runtime by serve.py for the interop tests (test/interop/*.test.ts).

- example/person, example/greeter: the StateFun playground greeter.
- verifier/counter: the crash verifier's command interpreter, the same protocol as
  test/e2e/verifier/module.ts, so the same driver verifies it.
- example/remember: a state that expires 2 s after the last call, for TTL tests.
"""

from datetime import timedelta

from statefun import (
    Context,
    IntType,
    Message,
    StatefulFunctions,
    StringType,
    ValueSpec,
    egress_message_builder,
    make_json_type,
    message_builder,
)

functions = StatefulFunctions()

# The playground egress (io.statefun.playground.v1/egress) takes these records: `payload` is
# the text a consumer gets from `GET /{topic}`.
PLAYGROUND_EGRESS = "io.statefun.playground/egress"
EGRESS_RECORD_TYPE = make_json_type(typename="io.statefun.playground/EgressRecord")


def egress_record(topic: str, payload: str):
    return egress_message_builder(
        target_typename=PLAYGROUND_EGRESS,
        value={"topic": topic, "payload": payload},
        value_type=EGRESS_RECORD_TYPE,
    )


# --- The playground greeter -------------------------------------------------------------

GREET_REQUEST_TYPE = make_json_type(typename="example/GreetRequest")


@functions.bind(typename="example/person", specs=[ValueSpec(name="visits", type=IntType)])
def person(context: Context, message: Message):
    visits = (context.storage.visits or 0) + 1
    context.storage.visits = visits
    request = message.as_type(GREET_REQUEST_TYPE)
    request["visits"] = visits
    context.send(
        message_builder(
            target_typename="example/greeter",
            target_id=request["name"],
            value=request,
            value_type=GREET_REQUEST_TYPE,
        )
    )


@functions.bind(typename="example/greeter")
def greeter(context: Context, message: Message):
    request = message.as_type(GREET_REQUEST_TYPE)
    context.send_egress(egress_record("greetings", greeting(request["name"], request["visits"])))


def greeting(name: str, seen: int) -> str:
    templates = ["", "Welcome %s", "Nice to see you again %s", "Third time is a charm %s"]
    if seen < len(templates):
        return templates[seen] % name
    return f"Nice to see you at the {seen}-nth time {name}!"


# --- The crash verifier's command interpreter ---------------------------------------------
# Message `verifier/Commands`: {"cmds": [command, ...]} or {"cancel": token}. Commands:
#   {"op": "inc"}                                   count += 1
#   {"op": "send", "to": id, "cmds": [...]}          a message now
#   {"op": "sendAfter", "ms": n, "to": id, "cmds": [...]}   a message after n ms
#   {"op": "cancelled", "ms": n, "to": id, "cmds": [...]}   a delayed message, cancelled by
#                                                   this instance's next invocation
#   {"op": "egress", "id": text}                    a record `text` on the topic `verified`

COMMANDS_TYPE = make_json_type(typename="verifier/Commands")
COUNTER = "verifier/counter"


def commands_to(target_id: str, cmds):
    return message_builder(target_typename=COUNTER, target_id=target_id, value={"cmds": cmds}, value_type=COMMANDS_TYPE)


@functions.bind(
    typename=COUNTER,
    specs=[ValueSpec(name="count", type=IntType), ValueSpec(name="cancellations", type=IntType)],
)
def counter(context: Context, message: Message):
    body = message.as_type(COMMANDS_TYPE)
    if "cancel" in body:
        context.cancel_delayed_message(body["cancel"])
        return
    for cmd in body["cmds"]:
        op = cmd["op"]
        if op == "inc":
            context.storage.count = (context.storage.count or 0) + 1
        elif op == "send":
            context.send(commands_to(cmd["to"], cmd["cmds"]))
        elif op == "sendAfter":
            context.send_after(timedelta(milliseconds=cmd["ms"]), commands_to(cmd["to"], cmd["cmds"]))
        elif op == "cancelled":
            n = (context.storage.cancellations or 0) + 1
            context.storage.cancellations = n
            token = f"verifier/{context.address.id}/{n}"
            context.send_after(timedelta(milliseconds=cmd["ms"]), commands_to(cmd["to"], cmd["cmds"]), cancellation_token=token)
            # FIFO per pair: this reaches this instance right after the current invocation.
            context.send(
                message_builder(target_typename=COUNTER, target_id=context.address.id, value={"cancel": token}, value_type=COMMANDS_TYPE)
            )
        elif op == "egress":
            context.send_egress(egress_record("verified", cmd["id"]))
        else:
            raise ValueError(f"unknown command {cmd!r}")


# --- A state with a time to live ----------------------------------------------------------


@functions.bind(
    typename="example/remember",
    specs=[ValueSpec(name="last", type=StringType, expire_after_call=timedelta(seconds=2))],
)
def remember(context: Context, message: Message):
    """Stores the message (a string) and replies to the caller with the one it had ("" if none)."""
    previous = context.storage.last
    context.storage.last = message.as_string()
    if context.caller is not None:
        context.send(message_builder(target_typename=context.caller.typename, target_id=context.caller.id, str_value=previous or ""))
