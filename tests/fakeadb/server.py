"""A fake adb server on 127.0.0.1 that speaks the adb host protocol to the real adbutils client
and serves shell commands from ``FakeDevice`` replies, one thread per connection.

Host services: ``host:version``, ``host:devices[-l]``, ``host:track-devices[-l]``,
``host:tport:serial:S`` / ``host:tport:any`` (OKAY + 8-byte transport id),
``host:transport:S`` / ``host:transport-id:N`` / ``host:transport-any``, and
``features``, ``get-state``, ``get-serialno``, ``get-devpath`` under ``host:``,
``host-serial:S:`` and ``host-transport-id:N:``. Device services after a transport:
``shell:`` (v1), ``shell,v2:`` and ``exec:``; any other (``sync:``, ``reverse:`` …) is refused
with ``FAIL closed``, which is what the adb server says when adbd refuses a service.
"""

from __future__ import annotations

import itertools
import select
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

import adbutils

from tests.fakeadb import protocol
from tests.fakeadb.device import STATES, FakeDevice, Reply, ReplySource
from tests.fakeadb.protocol import OKAY, ShellKind, ShellRequest

__all__ = ["FakeAdbServer", "FakeDevice", "Reply", "ReplySource"]

_HOST = "127.0.0.1"  # never anything else: a test server must not be reachable off the machine
_STOP_TIMEOUT = 5.0  # seconds stop() waits for connection threads before reporting a leak
_POLL = 0.05  # seconds between checks for stop (accept loop) or a vanished client
_DEVICE_QUERIES = frozenset({"features", "get-state", "get-serialno", "get-devpath"})
_THREAD_PREFIX = "fakeadb-"
# Transport requests for "the only device" (usb and local both mean any device here).
_ANY_TRANSPORT = frozenset(
    {"tport:any", "tport:usb", "tport:local", "transport-any", "transport-usb", "transport-local"}
)


class _Hangup(Exception):
    """The client closed, sent garbage, or the connection was dropped: stop serving it."""


class _Refused(Exception):
    """Answer the current request with FAIL <message>."""


@dataclass(frozen=True)
class _Selector:
    """Which device a request is for; neither field set means "the only device"."""

    serial: str | None = None
    transport_id: int | None = None


class _Connection:
    """One client socket and the means to cut it from another thread."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._closed = False

    def recv_exact(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise _Hangup
            data += chunk
        return bytes(data)

    def read_request(self) -> str:
        length = protocol.parse_length(self.recv_exact(4))
        if length is None:
            raise _Hangup  # not 4 hex digits: not worth an answer
        return self.recv_exact(length).decode("utf-8", errors="replace")

    def send(self, data: bytes) -> None:
        if self.cancelled.is_set():
            raise _Hangup
        self.sock.sendall(data)

    def sleep(self, seconds: float) -> None:
        """Wait, unless the connection is dropped first."""
        if seconds > 0 and self.cancelled.wait(seconds):
            raise _Hangup

    def client_gone(self) -> bool:
        """True once the client closed its end (readable, yet nothing to read)."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
            return bool(readable) and not self.sock.recv(1, socket.MSG_PEEK)
        except (OSError, ValueError):
            return True

    def wait_for_hangup(self) -> None:
        """Answer nothing until the client closes or the connection is dropped."""
        while not self.cancelled.is_set() and self.sock.recv(4096):
            pass  # discard input (shell v2 stdin packets) while hanging

    def drop(self) -> None:
        """Cut the connection now: the client sees end-of-stream; the serving thread wakes."""
        self.cancelled.set()
        with self._lock:
            if not self._closed:
                try:
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already gone

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self.sock.close()


class FakeAdbServer:
    """Serves ``devices`` on 127.0.0.1 and ``port`` (default: an ephemeral one) until ``stop()``.

    ``round_trips`` counts shell services routed to a device, including those a ``Reply``
    refuses (not those refused for the device's state). ``requests`` lists every service asked.
    ``errors`` collects exceptions raised inside the server, e.g. by a reply callable; the
    client gets ``FAIL fake adb: …`` and the ``fake_adb`` fixture fails the test on them.
    """

    def __init__(
        self, devices: Sequence[FakeDevice] = (), *, version: int = 41, port: int = 0
    ) -> None:
        self.version = version
        self.host = _HOST
        self.port = port  # 0: an ephemeral port, chosen by start()
        self.errors: list[BaseException] = []
        self._cond = threading.Condition()  # guards everything below; notified on changes
        self._devices: list[tuple[int, FakeDevice]] = []
        self._ids = itertools.count(1)
        self._generation = 0
        self._round_trips = 0
        self._requests: list[str] = []
        self._connections: set[_Connection] = set()
        self._threads: set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        for device in devices:
            self.add(device)

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> FakeAdbServer:
        if self._listener is not None:
            raise RuntimeError("FakeAdbServer already started")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((_HOST, self.port))
        listener.listen(64)
        listener.setblocking(False)  # accept() after select() must not block if the client left
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"{_THREAD_PREFIX}accept-{self.port}", daemon=True
        )
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Close the listening socket and every connection; wait for their threads.

        Raises RuntimeError if a connection thread is still running after a few seconds (a
        reply callable that blocks forever)."""
        if self._listener is None or self._stopping.is_set():
            return
        self._stopping.set()
        if self._acceptor is not None:
            self._acceptor.join(_STOP_TIMEOUT)
        self._listener.close()
        with self._cond:
            connections = list(self._connections)
            threads = list(self._threads)
        for conn in connections:
            conn.drop()
        with self._cond:
            self._cond.notify_all()  # wake track-devices streams
        deadline = time.monotonic() + _STOP_TIMEOUT
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            raise RuntimeError(f"fake adb server: connection threads did not stop: {stuck}")

    def __enter__(self) -> FakeAdbServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- devices and counters ----------------------------------------------------------------

    def add(self, device: FakeDevice) -> None:
        """Plug ``device`` in; it gets the next transport id."""
        with self._cond:
            if any(d is device or d.serial == device.serial for _, d in self._devices):
                raise ValueError(f"device {device.serial} is already on this server")
            self._devices.append((next(self._ids), device))
            self._generation += 1
            self._cond.notify_all()
        device._subscribe(self._device_changed)

    @property
    def devices(self) -> list[FakeDevice]:
        with self._cond:
            return [d for _, d in self._devices]

    @property
    def round_trips(self) -> int:
        with self._cond:
            return self._round_trips

    @property
    def requests(self) -> list[str]:
        """Every service requested so far, host and device, in order (a copy)."""
        with self._cond:
            return list(self._requests)

    def client(self, socket_timeout: float | None = None) -> adbutils.AdbClient:
        """A real adbutils client for this server."""
        return adbutils.AdbClient(host=self.host, port=self.port, socket_timeout=socket_timeout)

    def _device_changed(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    # -- connections -------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stopping.is_set():
            try:
                readable, _, _ = select.select([listener], [], [], _POLL)
                if not readable:
                    continue
                sock, _ = listener.accept()
                sock.setblocking(True)
            except OSError:
                continue  # e.g. the client gave up between select() and accept()
            if self._stopping.is_set():
                sock.close()
                break
            self._spawn(sock)

    def _spawn(self, sock: socket.socket) -> None:
        conn = _Connection(sock)
        thread = threading.Thread(
            target=self._serve, args=(conn,), name=f"{_THREAD_PREFIX}conn-{self.port}", daemon=True
        )
        with self._cond:
            self._connections.add(conn)
            self._threads.add(thread)
        thread.start()

    def _serve(self, conn: _Connection) -> None:
        try:
            self._serve_request(conn)
        except _Refused as refusal:
            self._try_send(conn, protocol.fail(str(refusal)))
        except (_Hangup, OSError):
            pass  # the client went away, or the connection was dropped on purpose
        except Exception as exc:  # a bug in the fake: make the test see it
            self._try_send(conn, protocol.fail(self._record_error(exc)))
        finally:
            conn.close()
            with self._cond:
                self._connections.discard(conn)
                self._threads.discard(threading.current_thread())

    def _record_error(self, exc: Exception) -> str:
        """Keep ``exc`` for the test; the FAIL message that tells the client about it."""
        with self._cond:
            self.errors.append(exc)
        return f"fake adb: {type(exc).__name__}: {exc}"[:1000]

    @staticmethod
    def _try_send(conn: _Connection, data: bytes) -> None:
        try:
            conn.send(data)
        except (_Hangup, OSError):
            pass

    # -- host services -----------------------------------------------------------------------

    def _read_request(self, conn: _Connection) -> str:
        service = conn.read_request()
        with self._cond:
            self._requests.append(service)
        return service

    def _serve_request(self, conn: _Connection) -> None:
        service = self._read_request(conn)
        if service.startswith("host:"):
            self._host_service(conn, service.removeprefix("host:"))
            return
        selector, command = self._parse_prefixed(service)
        if command not in _DEVICE_QUERIES:
            raise _Refused("unknown host service")
        self._query(conn, selector, command)

    def _host_service(self, conn: _Connection, command: str) -> None:
        if command == "version":
            conn.send(OKAY + protocol.block(f"{self.version:04x}"))
        elif command in ("devices", "devices-l"):
            conn.send(OKAY + protocol.block(self._listing(long=command == "devices-l")))
        elif command in ("track-devices", "track-devices-l"):
            self._track(conn, long=command == "track-devices-l")
        elif command in _DEVICE_QUERIES:
            self._query(conn, _Selector(), command)
        elif command.startswith("tport:"):
            device, transport_id = self._acquire(_transport_selector(command))
            conn.send(OKAY + transport_id.to_bytes(8, "little"))
            self._device_service(conn, device)
        elif command.startswith("transport"):
            device, _ = self._acquire(_transport_selector(command))
            conn.send(OKAY)
            self._device_service(conn, device)
        else:
            raise _Refused("unknown host service")

    def _parse_prefixed(self, service: str) -> tuple[_Selector, str]:
        """``host-serial:S:CMD``, ``host-transport-id:N:CMD``, ``host-usb:CMD``…"""
        if service.startswith("host-serial:"):
            rest = service.removeprefix("host-serial:")
            # A serial may hold colons (192.168.1.20:5555): prefer a known serial.
            known = [d.serial for d in self.devices if rest.startswith(d.serial + ":")]
            if known:
                serial = max(known, key=len)
                return _Selector(serial=serial), rest[len(serial) + 1 :]
            serial, _, command = rest.rpartition(":")
            return _Selector(serial=serial), command
        if service.startswith("host-transport-id:"):
            number, _, command = service.removeprefix("host-transport-id:").partition(":")
            if not number.isdigit():
                raise _Refused("unknown host service")
            return _Selector(transport_id=int(number)), command
        for prefix in ("host-usb:", "host-local:"):
            if service.startswith(prefix):
                return _Selector(), service.removeprefix(prefix)
        raise _Refused("unknown host service")

    def _listing(self, *, long: bool) -> str:
        with self._cond:
            devices = [(tid, d) for tid, d in self._devices if d.present]
        lines = []
        for tid, device in devices:
            state = device.state
            known = STATES[state] is None  # adb knows the names only once connected
            lines.append(
                protocol.device_line(
                    device.serial,
                    state,
                    long=long,
                    transport_id=tid,
                    product=device.product if known else "",
                    model=device.model if known else "",
                    device=device.device if known else "",
                )
            )
        return "".join(lines)

    def _track(self, conn: _Connection, *, long: bool) -> None:
        """OKAY, then the whole listing now and after every change, until the client leaves."""
        conn.send(OKAY)
        seen = -1
        while True:
            with self._cond:
                while self._generation == seen and not conn.cancelled.is_set():
                    self._cond.wait(_POLL)
                    if conn.client_gone():
                        return
                seen = self._generation
            conn.send(protocol.block(self._listing(long=long)))

    def _acquire(self, selector: _Selector) -> tuple[FakeDevice, int]:
        """The device a request names, or _Refused with adb's message
        (transport.cpp acquire_one_transport)."""
        with self._cond:
            present = [(tid, d) for tid, d in self._devices if d.present]
        if selector.serial is not None:
            found = [(tid, d) for tid, d in present if d.serial == selector.serial]
            if not found:
                raise _Refused(f"device '{selector.serial}' not found")
        elif selector.transport_id is not None:
            found = [(tid, d) for tid, d in present if tid == selector.transport_id]
            if not found:
                raise _Refused(f"no device with transport id '{selector.transport_id}'")
        else:
            found = present
            if not found:
                raise _Refused("no devices/emulators found")
            if len(found) > 1:
                raise _Refused("more than one device/emulator")
        transport_id, device = found[0]
        refusal = STATES[device.state]
        if refusal is not None:
            raise _Refused(refusal)
        return device, transport_id

    def _query(self, conn: _Connection, selector: _Selector, command: str) -> None:
        device, transport_id = self._acquire(selector)
        answers = {
            "features": device.features,
            "get-state": device.state,
            "get-serialno": device.serial,
            "get-devpath": f"usb:1-{transport_id}",
        }
        conn.send(OKAY + protocol.block(answers[command]))

    # -- device services ---------------------------------------------------------------------

    def _device_service(self, conn: _Connection, device: FakeDevice) -> None:
        request = protocol.parse_shell_request(self._read_request(conn))
        if request is None:
            raise _Refused("closed")
        if request.kind is ShellKind.V2 and "shell_v2" not in device.features.split(","):
            raise _Refused("closed")  # an old adbd does not know the service
        if not device._attach(conn):
            raise _Refused(STATES[device.state] or f"device '{device.serial}' not found")
        try:
            self._shell(conn, device, request)
        finally:
            device._detach(conn)

    def _shell(self, conn: _Connection, device: FakeDevice, request: ShellRequest) -> None:
        with self._cond:
            self._round_trips += 1
        try:
            reply = device._next_reply(request.command)
        except Exception as exc:  # a reply callable failed (even with an OSError): not the socket
            raise _Refused(self._record_error(exc)) from exc
        if reply.refuse is not None:
            conn.send(protocol.fail(reply.refuse))
            device._record(request.command)
            return
        conn.send(OKAY)
        # Recorded after OKAY is on the wire, so a test that waits for the call and then cuts
        # the connection knows the client will read OKAY first.
        device._record(request.command)
        conn.sleep(device.latency + reply.delay)
        if reply.hang:
            conn.wait_for_hangup()
            return
        conn.send(protocol.shell_output(request, reply))
        if reply.disconnect_after is not None:
            conn.drop()


def _transport_selector(command: str) -> _Selector:
    """``tport:serial:S``, ``transport:S``, ``tport:transport-id:N``, ``transport-id:N`` or one
    of ``_ANY_TRANSPORT``."""
    for prefix in ("tport:serial:", "transport:"):
        if command.startswith(prefix):
            return _Selector(serial=command.removeprefix(prefix))
    for prefix in ("tport:transport-id:", "transport-id:"):
        if command.startswith(prefix):
            number = command.removeprefix(prefix)
            if not number.isdigit():
                raise _Refused(f"invalid transport id '{number}'")
            return _Selector(transport_id=int(number))
    if command in _ANY_TRANSPORT:
        return _Selector()
    raise _Refused("unknown host service")
