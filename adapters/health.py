"""The health endpoint: ``/healthz`` and ``/metrics`` over HTTP, when ``HEALTH_PORT`` is set.

* ``GET /healthz``: 200 with ``{"status": "ok", …}`` while the process is up, the database
  answers and every platform it serves is connected; 503 with ``"status": "unhealthy"`` and the
  same fields otherwise (:mod:`bot.health` decides).
* ``GET /metrics``: every metric of :mod:`bot.metrics`, in Prometheus' text format.

:func:`serving_health` runs the server (aiohttp) beside the platforms for as long as the core
is open; :func:`healthcheck` is the client side, ``threshold healthcheck``, which the container's
``HEALTHCHECK`` runs: exit status 0 when ``/healthz`` says 200, else 1. Neither ever shows a
token or anything a person wrote: the bodies carry states and counts only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Collection
from typing import TYPE_CHECKING

from bot.errors import ConfigError
from bot.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from bot.core import Core
    from bot.settings import Settings

__all__ = ["CHECK_TIMEOUT", "healthcheck", "serving_health", "url_of"]

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0
"""Seconds ``threshold healthcheck`` waits for ``/healthz``."""
ANY_ADDRESS = ("", "0.0.0.0", "::", "[::]")


@contextlib.asynccontextmanager
async def serving_health(core: Core, expected: Collection[str]) -> AsyncIterator[str | None]:
    """Serve ``/healthz`` and ``/metrics`` for ``core`` until the block ends; yields the base
    URL, or ``None`` when ``HEALTH_PORT`` is not set (nothing is served then). ``expected`` are
    the platforms this process serves, by their names (``telegram``, ``discord``).
    Raises :class:`ConfigError` when the port cannot be listened on."""
    settings = core.settings
    if settings.health_port is None:
        yield None
        return
    from aiohttp import web  # only loaded when the endpoint is wanted

    started = time.monotonic()
    expected = tuple(expected)
    core.watch_platforms(expected)

    async def healthz(request: web.Request) -> web.Response:
        health = await core.health(expected, started=started)
        return web.json_response(health.as_json(), status=200 if health.ok else 503)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=core.metrics_text(), headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    host, port = settings.health_host, settings.health_port
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(
            f"The health endpoint cannot listen on {host}:{port} ({exc.strerror or exc}); "
            f"choose another HEALTH_PORT or HEALTH_HOST."
        ) from None
    url = url_of(settings)
    logger.info("health endpoint at %s (/healthz, /metrics)", url)
    try:
        yield url
    finally:
        await runner.cleanup()


def url_of(settings: Settings) -> str:
    """The base URL the health endpoint answers on, from this machine."""
    host = settings.health_host.strip()
    if host in ANY_ADDRESS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.health_port}"


def healthcheck(settings: Settings, *, timeout: float = CHECK_TIMEOUT) -> tuple[int, str]:
    """Ask the running bot's ``/healthz``: exit status 0 and ``healthy`` on 200, else 1 and a
    one-line reason."""
    if settings.health_port is None:
        return 1, "HEALTH_PORT is not set, so there is no health endpoint to ask."
    url = url_of(settings) + "/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return 1, f"no answer from {url} ({reason})"
    if status == 200:
        return 0, "healthy"
    return 1, f"unhealthy ({status}): {_summary(body)}"


def _summary(body: bytes) -> str:
    try:
        document = json.loads(body)
    except ValueError:
        return "the answer was not JSON"
    if not isinstance(document, dict):
        return "the answer was not a JSON object"
    platforms = document.get("platforms") or {}
    down = [name for name, state in platforms.items() if state != "connected"]
    parts = [f"database {document.get('database', '?')}"]
    if down:
        parts.append("not connected: " + ", ".join(down))
    return "; ".join(parts)
