"""The chain benchmark's counter, written with the official StateFun Python SDK.

    .cache/interop/python/bin/python bench/functions/counter.py --ids 1000 --port 0

Each message increments the instance's `hops` and sends one message on to another instance,
as bench/workloads/chain.js does. Prints `listening on http://HOST:PORT` once it serves.
"""

import argparse
import asyncio

from aiohttp import web
from statefun import Context, IntType, Message, RequestReplyHandler, StatefulFunctions, ValueSpec, message_builder

parser = argparse.ArgumentParser()
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--ids", type=int, default=1000)
args = parser.parse_args()

functions = StatefulFunctions()


@functions.bind(typename="bench/counter", specs=[ValueSpec(name="hops", type=IntType)])
def counter(context: Context, message: Message):
    context.storage.hops = (context.storage.hops or 0) + 1
    following = (int(context.address.id) * 7919 + 1) % args.ids
    context.send(message_builder(target_typename="bench/counter", target_id=str(following), int_value=message.as_int() + 1))


handler = RequestReplyHandler(functions)


async def handle(request: web.Request) -> web.Response:
    return web.Response(body=await handler.handle_async(await request.read()), content_type="application/octet-stream")


async def main() -> None:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes([web.post("/{tail:.*}", handle)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    print(f"listening on http://{args.host}:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
