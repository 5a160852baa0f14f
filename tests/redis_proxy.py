"""A TCP proxy in front of a real Redis that loses traffic on purpose: the reply of the next
command (it ran, the caller never hears), the next request (it never ran), or every
connection (Redis unreachable). Runs in its own thread."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator

from actionpool.devstack import free_port

CHUNK = 65536


class RedisProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.drop_next_reply = threading.Event()
        self.swallow_next_request = threading.Event()
        self.refusing = threading.Event()
        self.replies_dropped = 0
        self.requests_swallowed = 0
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def refuse(self) -> None:
        """Redis is gone: open connections are cut, new ones closed at once."""
        self.refusing.set()
        with self._lock:
            for sock in list(self._open):
                cut(sock)
            self._open.clear()

    def heal(self) -> None:
        self.refusing.clear()

    def close(self) -> None:
        self._stopped.set()
        self.refuse()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refusing.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.upstream)
            with self._lock:
                self._open |= {client, upstream}
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        with contextlib.suppress(OSError, ValueError):
            while True:
                readable, _, _ = select.select([client, upstream], [], [])
                for source in readable:
                    data = source.recv(CHUNK)
                    if not data or not self._pass(source is client, data, client, upstream):
                        raise OSError("closed")
        for sock in (client, upstream):
            cut(sock)

    def _pass(
        self, from_client: bool, data: bytes, client: socket.socket, upstream: socket.socket
    ) -> bool:
        """Forward `data`, unless it is what is to be lost (then the connection is cut)."""
        if from_client and self.swallow_next_request.is_set():
            self.swallow_next_request.clear()
            self.requests_swallowed += 1
            return False
        if not from_client and self.drop_next_reply.is_set():
            self.drop_next_reply.clear()
            self.replies_dropped += 1
            return False
        (upstream if from_client else client).sendall(data)
        return True


def cut(sock: socket.socket) -> None:
    """Close a connection so its peer sees it at once (even while another thread waits on
    it: a plain close would leave the peer connected until that wait ends)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@contextlib.contextmanager
def redis_proxy(upstream_port: int) -> Iterator[RedisProxy]:
    proxy = RedisProxy(upstream_port)
    try:
        yield proxy
    finally:
        proxy.close()
