"""The preview's web server: a page, its assets, and a small JSON and image API.

    GET /                  the page
    GET /assets/NAME       its script and style sheet (only the files shipped in assets/)
    GET /api/state         title, size, error, version and the timeline (render.curves)
    GET /api/events        server-sent events: {"version", "error"} after every reload
    GET /api/still?i=N     the `render still` command that writes frame N
    GET /frame?i=N&w=W     frame N, W pixels wide (a JPEG proxy) or full size (a PNG)

Nothing else is served: no file is looked up from a request's path. Requests whose Host
header names anything but this machine are refused (a DNS rebinding page could otherwise
read the frames and the sequence's lines), and the page may load nothing from elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable
from importlib import resources

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from render.errors import InputError
from render.preview.frames import FrameFailed, FrameKey, FrameService, Superseded
from render.preview.session import Session
from render.sequence import one_line

ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
MIN_PROXY_WIDTH = 16

_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
        b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


def _asset(name: str) -> bytes:
    return resources.files("render.preview").joinpath("assets", name).read_bytes()


def is_local_host(header: str, bound: str = "127.0.0.1") -> bool:
    """Whether a Host header names this machine: localhost or a loopback address, with or
    without a port. When the server was bound elsewhere on purpose (--host), that name and
    any address literal are accepted too -- a rebinding attack needs a domain name."""
    name = header.strip().lower()
    if name.startswith("["):  # [::1]:8765
        name = name[1 : name.find("]")] if "]" in name else ""
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if not name:
        return False
    if name == "localhost":
        return True
    address = _address(name)
    if address is not None and address.is_loopback:
        return True
    if not _is_loopback_bind(bound):
        return address is not None or name == bound.strip("[]").lower()
    return False


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def _is_loopback_bind(host: str) -> bool:
    address = _address(host.strip("[]"))
    return host == "localhost" or (address is not None and address.is_loopback)


class LocalOnly:
    """ASGI middleware: refuse requests whose Host is not local (403), and give every
    response headers that keep the page to its own scripts and images."""

    def __init__(self, app, bound: str) -> None:
        self.app = app
        self.bound = bound

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if not is_local_host(host, self.bound):
            body = f"refused: Host {one_line(host)[:100]!r} is not this machine\n".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        *_SECURITY_HEADERS,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return None

        async def secured(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_SECURITY_HEADERS]}
            await send(message)

        return await self.app(scope, receive, secured)


class Broadcast:
    """Who listens for reloads: one queue per open page."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue] = set()

    def publish(self, message: dict) -> None:
        for queue in self.queues:
            queue.put_nowait(message)


def make_app(
    session: Session,
    frames: FrameService,
    bound: str = "127.0.0.1",
    watch: bool = True,
    on_ready: Callable[[], None] | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> LocalOnly:
    """The preview of `session`; starts `frames` (and the file watcher) with the app."""
    events = Broadcast()

    def changed() -> None:
        snap = session.snapshot
        if snap is not None:
            frames.cache.keep_only(snap.token)
        events.publish({"version": session.version, "error": session.error})

    @contextlib.asynccontextmanager
    async def lifespan(app):
        frames.start()
        if session.snapshot is not None:
            frames.warm(session.snapshot.seq, session.snapshot.token)
        stop = asyncio.Event()
        watcher = None
        if watch:
            from render.preview.watch import watch as watch_files

            watcher = asyncio.create_task(watch_files(session, changed, stop, warn))
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:
            stop.set()
            for queue in events.queues:
                queue.put_nowait(None)
            if watcher is not None:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(watcher, 2)
            frames.close()

    async def page(request: Request) -> Response:
        return Response(_asset("index.html"), media_type=ASSETS["index.html"])

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS or name == "index.html":
            return _not_found()
        return Response(_asset(name), media_type=ASSETS[name])

    async def state(request: Request) -> Response:
        return JSONResponse(session.state())

    async def stream(request: Request) -> Response:
        queue: asyncio.Queue = asyncio.Queue()
        events.queues.add(queue)

        async def messages():
            try:
                first = {"version": session.version, "error": session.error}
                yield f"event: state\ndata: {json.dumps(first)}\n\n"
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), 15)
                    except TimeoutError:
                        yield ": still here\n\n"  # keeps proxies and the browser from timing out
                        continue
                    if message is None:
                        return
                    yield f"event: state\ndata: {json.dumps(message)}\n\n"
            finally:
                events.queues.discard(queue)

        return StreamingResponse(messages(), media_type="text/event-stream")

    async def still(request: Request) -> Response:
        snap = session.snapshot
        if snap is None:
            return _error(409, session.error or "not loaded")
        index = _int_param(request, "i", 0, snap.seq.frames - 1)
        if isinstance(index, Response):
            return index
        return JSONResponse(session.still_command(index))

    async def frame(request: Request) -> Response:
        snap = session.snapshot
        if snap is None:
            return _error(409, session.error or "not loaded")
        seq = snap.seq
        index = _int_param(request, "i", 0, seq.frames - 1)
        if isinstance(index, Response):
            return index
        width = _int_param(request, "w", MIN_PROXY_WIDTH, 1 << 30, default=seq.width)
        if isinstance(width, Response):
            return width
        width = min(width, seq.width)
        full = width == seq.width
        size = seq.size if full else (width, max(1, round(width * seq.height / seq.width)))
        key = FrameKey(snap.token, index, *size, "png" if full else "jpeg")
        save = request.query_params.get("save") == "1"
        client = request.query_params.get("c", "")[:64]
        try:
            picture = await frames.frame(
                seq if full else seq.replace(size=size), key, client=client, keep=save
            )
        except Superseded:
            return _error(409, "superseded by a newer request", superseded=True)
        except FrameFailed as exc:
            return _error(500, str(exc))
        headers = {
            "x-frame": str(index),
            "x-version": str(snap.version),
            "x-size": f"{size[0]}x{size[1]}",
            "x-render-ms": f"{picture.render_ms:.0f}",
        }
        if save:
            name = session.still_command(index)["file"]
            headers["content-disposition"] = f'attachment; filename="{name}"'
        return Response(picture.data, media_type=picture.media_type, headers=headers)

    routes = [
        Route("/", page),
        Route("/assets/{name}", asset),
        Route("/api/state", state),
        Route("/api/events", stream),
        Route("/api/still", still),
        Route("/frame", frame),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_exception_handler(404, lambda request, exc: _not_found())
    app.add_exception_handler(405, lambda request, exc: _error(405, "method not allowed"))
    return LocalOnly(app, bound)


def _not_found() -> Response:
    return _error(404, "not found")


def _error(status: int, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": one_line(message), **extra}, status_code=status)


def _int_param(
    request: Request, name: str, lo: int, hi: int, default: int | None = None
) -> int | Response:
    raw = request.query_params.get(name)
    if raw is None:
        if default is not None:
            return default
        return _error(400, f"{name}: missing")
    try:
        value = int(raw)
    except ValueError:
        return _error(400, f"{name}: expected a whole number, got {one_line(raw)[:40]!r}")
    if not lo <= value <= hi:
        return _error(400, f"{name}: expected {lo}..{hi}, got {value}")
    return value


# --------------------------------------------------------------------------- serving


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free one); InputError when refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise InputError(f"--host {one_line(host)}: unknown host ({exc})") from None
    family = infos[0][0]
    try:
        return socket.create_server((infos[0][4][0], port), family=family)
    except OSError as exc:  # the message, without the address socket.create_server adds
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        raise InputError(f"--port {port}: cannot listen on {host}: {why}") from None


def url_of(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def serve(
    path: str,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = True,
    workers: int = 2,
    announce: Callable[[str], None] = print,
    warn: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> None:
    """Serve the preview of the sequence at `path` until interrupted. The sequence must
    load at start (its error is raised); afterwards bad saves only show on the page."""
    import uvicorn

    session = Session(path)
    if not session.reload():
        from render.api import load

        load(path)  # raises the error, with its exit status
        raise InputError(session.error or f"{path}: cannot be loaded")
    for warning in session.warnings:  # as check and the render commands print them
        warn(f"warning: {warning}")
    sock = listen(host, port)
    url = url_of(sock, host)

    def ready() -> None:
        announce(url)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    app = make_app(session, FrameService(workers), bound=host, on_ready=ready, warn=warn)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, timeout_graceful_shutdown=1, lifespan="on"
    )
    uvicorn.Server(config).run(sockets=[sock])


__all__ = ["is_local_host", "make_app", "serve"]
