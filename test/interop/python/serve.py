"""Serves functions.py over HTTP with aiohttp, as the StateFun playground does.

    python serve.py --port 8000        # POST http://127.0.0.1:8000/statefun (or /statefun/<anything>)
    python serve.py --port 0           # any free port

Prints `listening on http://HOST:PORT` once it accepts connections (the port actually bound,
so a caller passing 0 learns it). A function that raises answers HTTP 500.
"""

import argparse
import asyncio

from aiohttp import web
from functions import functions
from statefun import RequestReplyHandler

handler = RequestReplyHandler(functions)


async def handle(request: web.Request) -> web.Response:
    response = await handler.handle_async(await request.read())
    return web.Response(body=response, content_type="application/octet-stream")


async def main(host: str, port: int) -> None:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes([web.post("/statefun", handle), web.post("/statefun/{tail:.*}", handle)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"listening on http://{host}:{bound}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.host, args.port))
    except KeyboardInterrupt:
        pass
