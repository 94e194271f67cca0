"""Serves functions.py over HTTP with aiohttp, as the StateFun playground does.

    python serve.py --port 8001        # POST http://127.0.0.1:8001/statefun (or /statefun/<anything>)
    python serve.py --port 0           # any free port

Prints `listening on http://HOST:PORT` once it accepts connections (the port actually bound,
so a caller passing 0 learns it). A function that raises answers HTTP 500.
"""

import argparse
import asyncio
import signal

from aiohttp import web
from functions import functions
from statefun import RequestReplyHandler

handler = RequestReplyHandler(functions)


async def handle(request: web.Request) -> web.Response:
    response = await handler.handle_async(await request.read())
    return web.Response(body=response, content_type="application/octet-stream")


async def main(host: str, port: int) -> None:
    app = web.Application()
    app.add_routes([web.post("/statefun", handle), web.post("/statefun/{tail:.*}", handle)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    print(f"listening on http://{host}:{runner.addresses[0][1]}", flush=True)
    stopped = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stopped.set)
    await stopped.wait()
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
