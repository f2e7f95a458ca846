"""A small in-process TCP proxy whose link can be cut, hung or slowed, for the fault tests.

Modes:

- ``pass``: bytes flow both ways;
- ``cut``: every open connection is closed and new ones are closed on accept (a refused service);
- ``hang``: connections are accepted and bytes are read but nothing is forwarded (a service that
  stopped answering; clients meet their socket timeouts);
- ``slow``: every chunk waits ``delay`` seconds before it is forwarded.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = "pass"
        self.delay = 0.0
        self.accepted = 0
        self.forwarded_chunks = 0
        self.swallowed_chunks = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._accept_loop, daemon=True, name=f"fault-proxy-{self.port}").start()

    # --- control -------------------------------------------------------------------------

    def set_mode(self, mode: str, *, delay: float = 0.0) -> None:
        assert mode in {"pass", "cut", "hang", "slow"}
        self.mode = mode
        self.delay = delay
        if mode == "cut":
            with self._lock:
                sockets = list(self._open)
                self._open.clear()
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()

    def close(self) -> None:
        self._stopped.set()
        self.set_mode("cut")
        with contextlib.suppress(OSError):
            self._listener.close()

    # --- plumbing ------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.mode == "cut":
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while not self._stopped.is_set():
                try:
                    readable, _, _ = select.select(list(peers), [], [], 0.2)
                except (OSError, ValueError):
                    return
                for sock in readable:
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    if self.mode == "cut":
                        return
                    if self.mode == "hang":
                        self.swallowed_chunks += 1
                        continue  # swallowed: the other side never hears back
                    if self.mode == "slow" and self.delay:
                        time.sleep(self.delay)
                    try:
                        peers[sock].sendall(data)
                    except OSError:
                        return
                    self.forwarded_chunks += 1
        finally:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._open.discard(client)
                self._open.discard(upstream)
