"""The official Python SDK's answers for serve/golden.test.ts (apache-flink-statefun 3.3.0).

    pip install apache-flink-statefun==3.3.0
    echo '{"one": "<ToFunction hex>", ...}' | python golden.py   # prints {"one": "<FromFunction hex>", ...}
"""
import asyncio
import json
import sys
from datetime import timedelta

from statefun import (BoolType, Context, IntType, RequestReplyHandler, StatefulFunctions, StringType, ValueSpec,
                      egress_message_builder, message_builder)

fns = StatefulFunctions()


@fns.bind(typename="example/one", specs=[ValueSpec(name="seen", type=IntType)])
def one(ctx, msg):
    pass


@fns.bind(typename="example/ttl", specs=[
    ValueSpec(name="seen", type=IntType),
    ValueSpec(name="written", type=StringType, expire_after_write=timedelta(days=1)),
    ValueSpec(name="touched", type=BoolType, expire_after_call=timedelta(seconds=5))])
def ttl(ctx, msg):
    pass


@fns.bind(typename="example/effects", specs=[ValueSpec(name="n", type=IntType)])
def effects(ctx: Context, msg):
    ctx.storage.n = 7
    ctx.send(message_builder(target_typename="example/counter", target_id="x", int_value=1))
    ctx.send_after(timedelta(seconds=2), message_builder(target_typename="example/counter", target_id="y", int_value=2),
                   cancellation_token="t")
    ctx.cancel_delayed_message("t")
    ctx.send_egress(egress_message_builder(target_typename="example/kafka", value=3, value_type=IntType))
    if ctx.caller:
        ctx.send(message_builder(target_typename=ctx.caller.typename, target_id=ctx.caller.id, str_value="hi"))


@fns.bind(typename="example/counter", specs=[
    ValueSpec(name="count", type=IntType),
    ValueSpec(name="name", type=StringType, expire_after_write=timedelta(days=1))])
def counter(ctx, msg):
    if msg.is_string():
        if msg.as_string() == "forget":
            del ctx.storage.name
        else:
            ctx.storage.name = msg.as_string()
        return
    ctx.storage.count = (ctx.storage.count or 0) + msg.as_int()


handler = RequestReplyHandler(fns)
requests = json.load(sys.stdin)
print(json.dumps({name: asyncio.run(handler.handle_async(bytes.fromhex(h))).hex() for name, h in requests.items()}, indent=1))
