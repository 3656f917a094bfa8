"""The adb transport: list and select devices and run shell commands on the adb server, with a
deadline and a size bound on every command; socket and protocol errors become DeviceError.

We speak the adb host protocol ourselves (AOSP packages/modules/adb/SERVICES.TXT) rather than
through adbutils' connection, which runs ``adb start-server`` (20 s, without the port) whenever a
connect is refused: mid-run, against a dead or remote server, that starts a new daemon. Here the
only start is the explicit one in :class:`AdbServer`, once, when nothing answers at the start;
adbutils is used for the ``adb`` binary it ships. Shell output is read by our own loop (shell
protocol v2 where the device has it, for exit codes and stderr; v1 otherwise), into one buffer
and with a bound, so a hostile device cannot make us read without end.
"""

from __future__ import annotations

import io
import os
import socket
import time
from types import TracebackType

from handsetguard.errors import SourceError
from handsetguard.records import record

__all__ = [
    "MAX_OUTPUT_BYTES",
    "AdbServer",
    "DeviceError",
    "DeviceInfo",
    "Phone",
    "ShellResult",
]

MAX_OUTPUT_BYTES = 256 * 1024 * 1024
# The same end-of-output mark adbutils uses for v1 shells.
_V1_EXIT_MARK = b"X4EXIT:"
_OKAY, _FAIL = b"OKAY", b"FAIL"
_CONNECT_TIMEOUT = 10.0  # seconds; a local server accepts at once, a remote one within this
_HOST_TIMEOUT = 30.0  # seconds for a host service (device list, features) the server answers
_START_TIMEOUT = 20.0  # seconds 'adb start-server' may take (it returns once the server is up)
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class DeviceError(SourceError):
    """A device or the adb server could not be reached or used (names the device)."""


@record
class DeviceInfo:
    serial: str
    state: str  # device | unauthorized | offline | …
    model: str | None
    product: str | None
    transport_id: int | None


@record
class ShellResult:
    command: str
    stdout: bytes
    stderr: bytes
    exit_code: int | None  # None when the command was cut short (timeout, disconnect)
    duration: float
    error: str | None = None  # why the output is incomplete, if it is

    @property
    def complete(self) -> bool:
        return self.error is None


class _ServerError(Exception):
    """The adb server refused a request (FAIL and its message) or answered garbage."""


# What talking to the server can raise; each is turned into a DeviceError naming the device.
# UnicodeError: a serial from $ANDROID_SERIAL that is not text.
_TRANSPORT_ERRORS = (_ServerError, OSError, EOFError, UnicodeError)


def _small_int(text: str | bytes | None, digits: int) -> int | None:
    """A non-negative decimal of at most ``digits`` ASCII digits, else None: numbers in what a
    server or device sends are bounded before int() (which refuses > 4300 digits)."""
    if text is None or not 0 < len(text) <= digits or not text.isdigit() or not text.isascii():
        return None
    return int(text)


class _HostConnection:
    """One connection to the adb server: a hex-length-prefixed request answered OKAY or FAIL
    with a message, then the service's data, all before ``deadline``. It connects exactly once."""

    def __init__(self, server: AdbServer, deadline: float) -> None:
        self.deadline = deadline
        wait = min(_CONNECT_TIMEOUT, max(deadline - time.monotonic(), 0.001))
        try:
            self.sock = socket.create_connection((server.host, server.port), timeout=wait)
        except OSError as exc:
            raise _ServerError(
                f"adb server at {server.host}:{server.port}: {exc.strerror or exc}"
            ) from exc

    def __enter__(self) -> _HostConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def request(self, service: str) -> None:
        """Send ``service``; return once the server said OKAY."""
        data = service.encode()
        if len(data) > 0xFFFF:
            raise _ServerError(f"request of {len(data)} bytes is too long for adb")
        self.sock.settimeout(max(self.deadline - time.monotonic(), 0.001))
        self.sock.sendall(b"%04x" % len(data) + data)
        status = _recv_exact(self.sock, 4, self.deadline)
        if status == _FAIL:
            raise _ServerError(self.read_block())
        if status != _OKAY:
            raise _ServerError(f"unexpected reply {status!r}")

    def read_block(self) -> str:
        """A hex-length-prefixed string (a device list, a FAIL message, features)."""
        length = _recv_exact(self.sock, 4, self.deadline)
        if not all(c in b"0123456789abcdefABCDEF" for c in length):
            raise _ServerError(f"unexpected length {length!r}")
        return _recv_exact(self.sock, int(length, 16), self.deadline).decode("utf-8", "replace")


class AdbServer:
    """The adb server at ``host``:``port`` (default ``ANDROID_ADB_SERVER_HOST``/``_PORT``, else
    127.0.0.1:5037). A local one is started, once, if none answers when this is created."""

    def __init__(self, host: str | None = None, port: int | None = None) -> None:
        self.host = host or os.environ.get("ANDROID_ADB_SERVER_HOST", "127.0.0.1")
        port_text = os.environ.get("ANDROID_ADB_SERVER_PORT", "5037")
        env_port = _small_int(port_text, 5)
        if port is None and (env_port is None or not 0 < env_port < 65536):
            shown = (
                port_text
                if len(port_text) <= 20
                else f"{port_text[:20]}… ({len(port_text)} characters)"
            )
            raise DeviceError(f"ANDROID_ADB_SERVER_PORT={shown!r} is not a port number")
        self.port = port or env_port or 5037
        self._ensure_running()

    @property
    def _where(self) -> str:
        return f"adb server at {self.host}:{self.port}"

    def connect(self, timeout: float) -> _HostConnection:
        return _HostConnection(self, time.monotonic() + timeout)

    def _reachable(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=2.0):
                return True
        except OSError:
            return False

    def _ensure_running(self) -> None:
        """Start a local adb server when none answers, with our port (``-P``); the only place
        anything is started. A remote one that does not answer is an error."""
        if self._reachable():
            return
        if self.host not in _LOCAL_HOSTS:
            raise DeviceError(f"{self._where}: not reachable")
        import subprocess
        import tempfile

        import adbutils

        # stderr to a file, not a pipe: a daemon that kept the pipe open would hold us here.
        with tempfile.TemporaryFile() as stderr:
            try:
                subprocess.run(
                    [adbutils.adb_path(), "-P", str(self.port), "start-server"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    timeout=_START_TIMEOUT,
                    check=False,
                )
            except (OSError, subprocess.SubprocessError, adbutils.AdbError) as exc:
                raise DeviceError(
                    f"{self._where}: not running, and starting it failed ({exc})"
                ) from exc
            stderr.seek(0)
            said = stderr.read(2000).decode("utf-8", "replace").strip()
        if not self._reachable():
            raise DeviceError(
                f"{self._where}: not running, and 'adb -P {self.port} start-server' did not "
                "start it" + (f": {said.splitlines()[-1]}" if said else ""),
                remediation="run 'adb start-server' and check that the port is free",
            )

    def devices(self) -> list[DeviceInfo]:
        """Every device the server knows, whatever its state (``host:devices-l``)."""
        try:
            with self.connect(_HOST_TIMEOUT) as conn:
                conn.request("host:devices-l")
                listing = conn.read_block()
        except _TRANSPORT_ERRORS as exc:
            raise DeviceError(
                f"{self._where}: cannot list devices ({_why(exc)})",
                remediation="start it with 'adb start-server', or check the USB connection",
            ) from exc
        return [info for line in listing.splitlines() if (info := _device_line(line))]

    def select(self, serial: str | None) -> DeviceInfo:
        """The device to use: ``serial``, else ``$ANDROID_SERIAL``, else the only device."""
        serial = serial or os.environ.get("ANDROID_SERIAL") or None
        devices = self.devices()
        if serial is not None:
            found = next((d for d in devices if d.serial == serial), None)
            if found is None:
                raise DeviceError(
                    f"device {serial}: not connected to the adb server "
                    f"({len(devices)} device(s) connected)"
                )
            return _usable(found)
        if not devices:
            raise DeviceError(
                "no device connected", remediation="plug in the phone and enable USB debugging"
            )
        if len(devices) > 1:
            listing = ", ".join(f"{d.serial} ({d.state}, {d.model or '?'})" for d in devices)
            raise DeviceError(
                f"{len(devices)} devices connected: {listing}; choose one with "
                "adb:SERIAL or ANDROID_SERIAL, or use --all"
            )
        return _usable(devices[0])

    def phone(self, info: DeviceInfo) -> Phone:
        return Phone(self, info)


def _device_line(line: str) -> DeviceInfo | None:
    """One line of ``adb devices -l``: ``SERIAL STATE [usb:…] product:P model:M device:D
    transport_id:N``."""
    serial, state, *rest = (*line.split(), "", "")
    if not serial or not state:
        return None
    tags = dict(part.split(":", 1) for part in rest if ":" in part)
    return DeviceInfo(
        serial=serial,
        state=state,
        model=tags.get("model"),
        product=tags.get("product"),
        transport_id=_small_int(tags.get("transport_id"), 18),
    )


def _usable(info: DeviceInfo) -> DeviceInfo:
    if info.state == "unauthorized":
        raise DeviceError(
            f"device {info.serial}: unauthorized",
            remediation="unlock the phone and accept the 'Allow USB debugging' "
            "prompt for this computer",
        )
    if info.state != "device":
        raise DeviceError(
            f"device {info.serial}: {info.state}",
            remediation="reconnect the cable; 'adb reconnect' may help",
        )
    return info


class Phone:
    """One selected device."""

    def __init__(self, server: AdbServer, info: DeviceInfo) -> None:
        self.server = server
        self.info = info
        self.serial = info.serial
        self._v2: bool | None = None

    def check_reachable(self, timeout: float = 10.0) -> None:
        """Raise DeviceError unless the device answers (reads its features once)."""
        self._supports_v2(timeout)

    def _open(self, service: str, deadline: float) -> _HostConnection:
        """A connection to the device's adbd with ``service`` accepted (OKAY)."""
        conn = _HostConnection(self.server, deadline)
        try:
            conn.request(f"host:transport:{self.serial}")
            conn.request(service)
        except BaseException:
            conn.close()
            raise
        return conn

    def _supports_v2(self, timeout: float) -> bool:
        if self._v2 is None:
            try:
                with self.server.connect(timeout) as conn:
                    conn.request(f"host-serial:{self.serial}:features")
                    features = conn.read_block()
            except _TRANSPORT_ERRORS as exc:
                raise DeviceError(
                    f"device {self.serial}: cannot read features ({_why(exc)})"
                ) from exc
            self._v2 = "shell_v2" in features.split(",")
        return self._v2

    def shell(self, command: str, timeout: float) -> ShellResult:
        """Run ``command``; a timeout or a dropped connection gives a result with ``error``
        set and what arrived so far. Raises DeviceError when the device or the server cannot
        be reached: never a restart of the server."""
        start = time.monotonic()
        deadline = start + timeout
        v2 = self._supports_v2(timeout)
        service = (
            f"shell,v2:{command}" if v2 else f"shell:{command}; echo {_V1_EXIT_MARK.decode()}$?"
        )
        try:
            conn = self._open(service, deadline)
        except _TRANSPORT_ERRORS as exc:
            raise DeviceError(
                f"device {self.serial}: cannot open a shell for '{command}' ({_why(exc)})"
            ) from exc
        stdout, stderr = io.BytesIO(), io.BytesIO()
        exit_code: int | None = None
        error: str | None = None
        try:
            if v2:
                exit_code = _read_v2(conn.sock, deadline, stdout, stderr)
            else:
                exit_code = _read_v1(conn.sock, deadline, stdout)
        except TimeoutError:
            error = f"timed out after {timeout:g} s"
        except _OutputTooLarge:
            error = f"output larger than {MAX_OUTPUT_BYTES // (1024 * 1024)} MiB; cut"
        except _TRANSPORT_ERRORS as exc:
            error = f"connection lost ({_why(exc)})"
        finally:
            conn.close()
        return ShellResult(
            command,
            stdout.getvalue(),
            stderr.getvalue(),
            exit_code,
            time.monotonic() - start,
            error,
        )


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


class _OutputTooLarge(Exception):
    pass


def _recv_exact(sock: socket.socket, n: int, deadline: float) -> bytes:
    parts = bytearray()
    while len(parts) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(n - len(parts))
        if not chunk:
            raise EOFError(f"connection closed after {len(parts)} of {n} bytes")
        parts += chunk
    return bytes(parts)


def _read_v2(sock: socket.socket, deadline: float, stdout: io.BytesIO, stderr: io.BytesIO) -> int:
    """Shell protocol v2: [id:1][length:4 LE][data]; id 1 stdout, 2 stderr, 3 exit."""
    total = 0
    while True:
        header = _recv_exact(sock, 5, deadline)
        kind, length = header[0], int.from_bytes(header[1:5], "little")
        total += length
        if total > MAX_OUTPUT_BYTES:
            raise _OutputTooLarge
        data = _recv_exact(sock, length, deadline) if length else b""
        if kind == 1:
            stdout.write(data)
        elif kind == 2:
            stderr.write(data)
        elif kind == 3:
            return data[0] if data else 255


def _read_v1(sock: socket.socket, deadline: float, stdout: io.BytesIO) -> int | None:
    """Shell v1: raw output until close; the exit code is the echoed mark at the end."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(64 * 1024)
        if not chunk:
            break
        stdout.write(chunk)
        if stdout.tell() > MAX_OUTPUT_BYTES:
            raise _OutputTooLarge
    data = stdout.getvalue()
    mark = data.rfind(_V1_EXIT_MARK)
    if mark < 0:
        raise EOFError("output ended without the exit-status mark")
    code = data[mark + len(_V1_EXIT_MARK) :].strip()
    stdout.seek(mark)
    stdout.truncate()
    return _small_int(code, 3)
