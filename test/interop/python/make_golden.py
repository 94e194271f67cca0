"""Writes the golden bytes of our protocol tests (packages/protocol/golden/) with the official
StateFun Python SDK (apache-flink-statefun 3.3.0): its generated protobuf classes, and its
RequestReplyHandler for what a function answers, so the bytes are the SDK's own.

    .cache/interop/python/bin/python test/interop/python/make_golden.py [--out DIR]

The output is deterministic: running it again changes nothing (test/interop/golden.test.ts
checks that the committed files are what the SDK writes).

- to-function.bin: a ToFunction batch (state with and without values, two invocations, one
  with a caller), built with the SDK's classes.
- from-function-invocation-result.bin: the SDK's answer to to-function.bin from the function
  `golden` below (every kind of effect).
- from-function-incomplete-invocation-context.bin: the SDK's answer to a batch that lacks
  the states of `expiring` below (AFTER_INVOKE, AFTER_WRITE and no expiration).
- types/*.bin: values of the built-in types, written by the SDK's own serializers.
- sdk-descriptors/*.json: the SDK's protobuf file descriptors, to check our .proto against.
- golden.json: what every file decodes to (canonical proto3 JSON, as the SDK's protobuf
  library prints it), and each built-in value.
"""

import argparse
import json
import math
import os
from datetime import timedelta
from importlib.metadata import version

from google.protobuf import descriptor_pb2, json_format
from statefun import (
    BoolType,
    Context,
    DoubleType,
    FloatType,
    IntType,
    LongType,
    Message,
    RequestReplyHandler,
    StatefulFunctions,
    StringType,
    ValueSpec,
    egress_message_builder,
    kafka_egress_message,
    make_json_type,
    message_builder,
)
from statefun import kafka_egress_pb2, request_reply_pb2, types_pb2
from statefun.request_reply_pb2 import FromFunction, ToFunction

GREET_REQUEST = make_json_type("example/GreetRequest")
PROFILE = make_json_type("example/Profile")
EGRESS_RECORD = make_json_type("io.statefun.playground/EgressRecord")

functions = StatefulFunctions()


@functions.bind(
    typename="example/golden",
    specs=[
        ValueSpec(name="seen", type=IntType),
        ValueSpec(name="profile", type=PROFILE),
        ValueSpec(name="gone", type=StringType),
        ValueSpec(name="note", type=StringType),
        ValueSpec(name="zero", type=IntType),
    ],
)
def golden(context: Context, message: Message):
    if context.caller is not None:
        # 1st invocation: from example/person/bob, a GreetRequest.
        request = message.as_type(GREET_REQUEST)
        context.storage.seen = context.storage.seen + 1  # MODIFY
        context.send(message_builder(target_typename=context.caller.typename, target_id=context.caller.id, str_value=f"hello {request['name']}"))
        context.send_after(
            timedelta(seconds=90),
            message_builder(target_typename="example/reminder", target_id="bob", str_value="wake up"),
            cancellation_token="reminder-bob-1",
        )
        context.send_egress(kafka_egress_message(typename="example/greets", topic="greetings", key="bob", value="Hello bob"))
    else:
        # 2nd invocation: from an ingress, a string.
        assert message.as_string() == "tick"
        assert context.storage.note is None and context.storage.zero == 0
        del context.storage.gone  # DELETE
        context.cancel_delayed_message("reminder-bob-0")
        context.send_after(
            timedelta(milliseconds=1500),
            message_builder(target_typename="example/reminder", target_id="alice", long_value=2**40 + 1),
        )
        context.send_egress(
            egress_message_builder(
                target_typename="io.statefun.playground/egress",
                value={"topic": "greetings", "payload": "Hello again"},
                value_type=EGRESS_RECORD,
            )
        )


@functions.bind(
    typename="example/expiring",
    specs=[
        ValueSpec(name="session", type=StringType, expire_after_call=timedelta(minutes=30)),
        ValueSpec(name="cache", type=PROFILE, expire_after_write=timedelta(seconds=5)),
        ValueSpec(name="total", type=LongType),
    ],
)
def expiring(context: Context, message: Message):
    raise AssertionError("never invoked: its states are missing")


def typed(value_type, value) -> request_reply_pb2.TypedValue:
    return request_reply_pb2.TypedValue(typename=value_type.typename, has_value=True, value=value_type.serializer().serialize(value))


def to_function() -> ToFunction:
    message = ToFunction()
    batch = message.invocation
    batch.target.CopyFrom(request_reply_pb2.Address(namespace="example", type="golden", id="bob"))
    batch.state.add(state_name="seen", state_value=typed(IntType, 3))
    batch.state.add(state_name="profile", state_value=typed(PROFILE, {"name": "Bob", "tags": ["a", "b"]}))
    batch.state.add(state_name="gone", state_value=typed(StringType, "to be deleted"))
    batch.state.add(state_name="note")  # no value: state_value omitted
    batch.state.add(state_name="zero", state_value=typed(IntType, 0))  # a value with zero bytes
    first = batch.invocations.add(argument=typed(GREET_REQUEST, {"name": "bob"}))
    first.caller.CopyFrom(request_reply_pb2.Address(namespace="example", type="person", id="bob"))
    batch.invocations.add(argument=typed(StringType, "tick"))
    return message


def incomplete_request() -> ToFunction:
    message = ToFunction()
    message.invocation.target.CopyFrom(request_reply_pb2.Address(namespace="example", type="expiring", id="x"))
    message.invocation.invocations.add(argument=typed(StringType, "hi"))
    return message


# Built-in type values: (type, file stem, value). JSON cannot hold NaN, infinities, -0.0 or
# 64-bit integers: those are strings in golden.json.
BUILTINS = [
    (BoolType, "bool.true", True),
    (BoolType, "bool.false", False),
    (IntType, "int.zero", 0),
    (IntType, "int.one", 1),
    (IntType, "int.negative", -42),
    (IntType, "int.max", 2**31 - 1),
    (IntType, "int.min", -(2**31)),
    (LongType, "long.zero", 0),
    (LongType, "long.negative", -1),
    (LongType, "long.unsafe", 2**53 + 1),
    (LongType, "long.max", 2**63 - 1),
    (LongType, "long.min", -(2**63)),
    (FloatType, "float.simple", 3.5),
    (FloatType, "float.rounded", 0.1),
    (FloatType, "float.negative-zero", -0.0),
    (FloatType, "float.nan", math.nan),
    (DoubleType, "double.pi", math.pi),
    (DoubleType, "double.tiny", -5e-324),
    (DoubleType, "double.negative-zero", -0.0),
    (DoubleType, "double.infinity", math.inf),
    (StringType, "string.empty", ""),
    (StringType, "string.ascii", "hello"),
    (StringType, "string.unicode", "Grüße, 世界 🙂"),
]


def json_value(value_type, value):
    """The value as golden.json holds it: as it reads back through the SDK's serializer."""
    value = value_type.serializer().deserialize(value_type.serializer().serialize(value))
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value) or (value == 0 and math.copysign(1, value) < 0)):
        return repr(value).replace("inf", "Infinity").replace("nan", "NaN")
    if value_type is LongType:
        return str(value)
    return value


def canonical_json(message) -> dict:
    return json_format.MessageToDict(message)


def descriptor_json(module) -> dict:
    proto = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(proto)
    return json_format.MessageToDict(proto)


def write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main(out: str) -> None:
    handler = RequestReplyHandler(functions)
    manifest = {
        "generatedBy": "test/interop/python/make_golden.py",
        "sdk": {"apache-flink-statefun": version("apache-flink-statefun"), "protobuf": version("protobuf")},
        "messages": {},
        "builtins": [],
        "descriptors": {},
    }

    def message_file(name: str, schema: str, description: str, data: bytes, parsed) -> None:
        write(os.path.join(out, name), data)
        manifest["messages"][name] = {"schema": schema, "description": description, "json": canonical_json(parsed)}

    request = to_function()
    request_bytes = request.SerializeToString()
    message_file("to-function.bin", "ToFunction", "a batch for example/golden/bob: 5 states, 2 invocations", request_bytes, request)

    response_bytes = handler.handle_sync(request_bytes)
    response = FromFunction()
    response.ParseFromString(response_bytes)
    assert response.WhichOneof("response") == "invocation_result", response
    message_file(
        "from-function-invocation-result.bin",
        "FromFunction",
        "the SDK's answer to to-function.bin from example/golden",
        response_bytes,
        response,
    )

    incomplete_bytes = handler.handle_sync(incomplete_request().SerializeToString())
    incomplete = FromFunction()
    incomplete.ParseFromString(incomplete_bytes)
    assert incomplete.WhichOneof("response") == "incomplete_invocation_context", incomplete
    message_file(
        "from-function-incomplete-invocation-context.bin",
        "FromFunction",
        "the SDK's answer to a batch for example/expiring that lacks its 3 states",
        incomplete_bytes,
        incomplete,
    )

    for value_type, stem, value in BUILTINS:
        name = f"types/{stem}.bin"
        data = value_type.serializer().serialize(value)
        write(os.path.join(out, name), data)
        manifest["builtins"].append({"file": name, "typename": value_type.typename, "value": json_value(value_type, value), "hex": data.hex()})

    for stem, module in (("request-reply", request_reply_pb2), ("kafka-egress", kafka_egress_pb2), ("types", types_pb2)):
        name = f"sdk-descriptors/{stem}.json"
        write(os.path.join(out, name), (json.dumps(descriptor_json(module), indent=2) + "\n").encode())
        manifest["descriptors"][stem] = name

    write(os.path.join(out, "golden.json"), (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    print(f"wrote {len(manifest['messages'])} messages, {len(manifest['builtins'])} built-in values and 3 descriptors to {out}")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "..", "..", "packages", "protocol", "golden"))
    parser = argparse.ArgumentParser(description="Writes packages/protocol/golden with the StateFun Python SDK.")
    parser.add_argument("--out", default=default_out)
    main(parser.parse_args().out)
