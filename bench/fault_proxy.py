"""A TCP proxy on 127.0.0.1 that a test puts between a process and a service to make faults happen:
pass traffic, refuse connections, cut every connection (a server restart as its clients see it), or
hold a connection once a client has sent N bytes (a worker to be killed mid-upload)."""

from __future__ import annotations

import contextlib
import socket
import threading

from bench.redis_server import free_port


class FaultProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.mode = "pass"  # pass | refuse | stall
        self.stall_after = 0  # stall: bytes a client may send before it is held
        self.stalled = threading.Event()
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)  # idle connections stay open, as with the server itself
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections += [client, upstream]
            sent = [0]
            threading.Thread(target=self._pump, args=(client, upstream, sent, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, sent, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, sent: list[int], upward: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if upward and self.mode == "stall":
                    room = max(0, self.stall_after - sent[0])
                    if len(data) > room:
                        sink.sendall(data[:room])
                        sent[0] += room
                        self.stalled.set()
                        threading.Event().wait()  # held for good: the client is to be killed
                sent[0] += len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Close every open connection, as a restarting server would."""
        with self._lock:
            connections, self._connections = self._connections, []
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass

    def close(self) -> None:
        self._closed = True
        self._server.close()
        self.cut()
