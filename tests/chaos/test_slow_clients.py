"""Fault: a few hundred slow clients against a real `afsprakenhub serve` (issue 32, defect 8).

Slowloris clients send a request head a byte at a time, slow-body clients a complete head and then their body a
byte at a time; both keep going until the server closes them. The server must close every one of them (its head
and body deadlines), and then still answer normal requests. A second run shows the bound on open connections.
"""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from hub.config import Settings
from hub.demo.runner import wait_until
from hub.serving import bind_tcp
from tests.chaos.processes import ROOT, settings_env
from tests.conftest import AUTH, TOKEN
from tests.support.events import cloudevent

SLOWLORIS = 200
SLOW_BODY = 200
pytestmark = pytest.mark.timeout(600)  # the bounded waits below fail first, with a message
WAIT = 60.0  # generous bound for a busy machine; the assertions are about what happened, not when


@contextmanager
def serve(settings: Settings, workdir: Path, http: dict[str, float | str]) -> Iterator[str]:
    """`afsprakenhub serve` in a child process with these HTTP limits; yields its URL."""
    sock = bind_tcp()
    port = sock.getsockname()[1]
    sock.close()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AFSPRAKENHUB_")}, **settings_env(settings),
           "AFSPRAKENHUB_HTTP": json.dumps(http), "PYTHONPATH": str(ROOT)}
    log = (workdir / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"serve exited: {(workdir / 'serve.log').read_text()}")
        try:
            return httpx.get(f"{url}/api/v1/health/live", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        assert wait_until(up, WAIT, interval=0.1), "serve did not start"
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def connect(url: str, first: bytes) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=WAIT)
    sock.sendall(first)
    sock.setblocking(False)
    return sock


def slowloris(url: str) -> socket.socket:
    return connect(url, b"POST /api/v1/events HTTP/1.1\r\nHost: hub.example.nl\r\n")


def slow_body(url: str) -> socket.socket:
    head = (f"POST /api/v1/events HTTP/1.1\r\nHost: hub.example.nl\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Type: application/cloudevents+json\r\nContent-Length: 100000\r\n\r\n{").encode()
    return connect(url, head)


def closed_by_server(sock: socket.socket) -> bool:
    """Drain what the server sent; True once it closed the connection (EOF or reset)."""
    try:
        while chunk := sock.recv(65536):
            del chunk
        return True
    except BlockingIOError:
        return False
    except ConnectionError:
        return True


def hold_until_closed(socks: list[socket.socket], dribble: bytes) -> list[socket.socket]:
    """Keep every client going (one more byte whenever the server is quiet) until the server closed it or WAIT
    ran out; returns those still open."""
    selector = selectors.DefaultSelector()
    for sock in socks:
        selector.register(sock, selectors.EVENT_READ)
    open_ = set(socks)
    rounds = int(WAIT / 0.5)
    for _ in range(rounds):
        if not open_:
            break
        for key, _events in selector.select(timeout=0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if closed_by_server(sock):
                selector.unregister(sock)
                open_.discard(sock)
        for sock in list(open_):
            try:
                sock.send(dribble)
            except BlockingIOError:
                pass
            except ConnectionError:
                selector.unregister(sock)
                open_.discard(sock)
    selector.close()
    return list(open_)


@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_slow_clients_are_closed_and_the_hub_keeps_answering(settings: Settings, tmp_path: Path, parser: str) -> None:
    limits = {"header_timeout_seconds": 2, "body_timeout_seconds": 2, "keep_alive_seconds": 2,
              "max_connections": 2000, "parser": parser}
    with serve(settings, tmp_path, limits) as url:
        lorises = [slowloris(url) for _ in range(SLOWLORIS)]
        bodies = [slow_body(url) for _ in range(SLOW_BODY)]
        try:
            still_open = hold_until_closed(lorises, b"X") + hold_until_closed(bodies, b" ")
            assert still_open == [], f"{len(still_open)} slow clients still open"
        finally:
            for sock in lorises + bodies:
                sock.close()
        live = httpx.get(f"{url}/api/v1/health/live", timeout=WAIT)
        posted = httpx.post(f"{url}/api/v1/events", json=cloudevent(event_id="after-slow-clients"), headers=AUTH,
                            timeout=WAIT)
        assert live.status_code == 200
        assert posted.status_code == 202, posted.text
        metrics = httpx.get(f"{url}/metrics", headers=AUTH, timeout=WAIT).text
        assert 'afsprakenhub_http_connections_closed_total{reason="slow-head"}' in metrics
        assert 'afsprakenhub_http_connections_closed_total{reason="slow-body"}' in metrics


@pytest.mark.parametrize("parser", ["httptools", "h11"])
def test_connections_beyond_the_bound_are_closed_at_once(settings: Settings, tmp_path: Path, parser: str) -> None:
    bound = 50
    limits = {"header_timeout_seconds": 3600, "body_timeout_seconds": 3600, "max_connections": bound,
              "parser": parser}
    with serve(settings, tmp_path, limits) as url:
        held = [slowloris(url) for _ in range(bound)]
        extra = [slowloris(url) for _ in range(10)]
        try:
            assert hold_until_closed(extra, b"X") == []  # closed by the bound (the deadlines are an hour)
            assert not any(closed_by_server(sock) for sock in held)  # the first `bound` are kept
            with pytest.raises(httpx.TransportError):  # at the bound: a new connection is closed too
                httpx.get(f"{url}/api/v1/health/live", timeout=WAIT)
        finally:
            for sock in held[:5]:
                sock.close()
        try:
            assert wait_until(lambda: _answers(url), WAIT, interval=0.1), "no room after clients left"
        finally:
            for sock in held[5:]:
                sock.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health/live", timeout=WAIT).status_code == 200
    except httpx.TransportError:
        return False
