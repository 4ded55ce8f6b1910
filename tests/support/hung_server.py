"""A loopback TCP server that accepts connections and never answers (a hung peer), until released."""

from __future__ import annotations

import socket
import threading


class HungServer:
    """Accepts and holds every connection (`connected` is set at the first); after `release()` it closes held
    and new connections at once. `accepted` counts every connection either way."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(512)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.connected = threading.Event()
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._hanging = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="hung-server", daemon=True)

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                if self._hanging:
                    self._held.append(conn)
                else:
                    conn.close()
            self.connected.set()

    def release(self) -> None:
        """Stop hanging: close every held connection (the clients see the peer go away) and later ones."""
        with self._lock:
            self._hanging = False
            for conn in self._held:
                conn.close()
            self._held.clear()

    def close(self) -> None:
        self.release()
        self._stop.set()
        self._thread.join(10)
        self._sock.close()
