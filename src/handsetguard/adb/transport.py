"""The adb transport: list and select devices and run shell commands through adbutils, with a
deadline and a size bound on every command; adbutils' and socket errors become DeviceError.

Shell output is read by our own loop on adbutils' connection (shell protocol v2 where the
device has it, for exit codes and stderr; v1 otherwise), so a 5 MB ``dumpsys package`` costs
one buffer rather than adbutils' quadratic ``bytes +=`` and a hostile device cannot make us
read without bound.
"""

from __future__ import annotations

import io
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from handsetguard.errors import SourceError

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


class DeviceError(SourceError):
    """A device or the adb server could not be reached or used (names the device)."""


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    serial: str
    state: str  # device | unauthorized | offline | …
    model: str | None
    product: str | None
    transport_id: int | None


@dataclass(frozen=True, slots=True)
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


def _adb_errors() -> tuple[type[BaseException], ...]:
    import adbutils

    return (adbutils.AdbError, OSError, EOFError, ValueError)


class AdbServer:
    """The adb server adbutils talks to (``ANDROID_ADB_SERVER_HOST``/``_PORT`` or 5037)."""

    def __init__(self, host: str | None = None, port: int | None = None) -> None:
        self.host = host or os.environ.get("ANDROID_ADB_SERVER_HOST", "127.0.0.1")
        port_text = os.environ.get("ANDROID_ADB_SERVER_PORT", "5037")
        # Checked before adbutils is imported: its import builds a client from this variable
        # and would fail with a bare ValueError.
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise DeviceError(f"ANDROID_ADB_SERVER_PORT={port_text!r} is not a port number")
        self.port = port or int(port_text)
        self._ensure_running()
        import adbutils

        self.client: Any = adbutils.AdbClient(host=self.host, port=self.port)

    def _reachable(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=2.0):
                return True
        except OSError:
            return False

    def _ensure_running(self) -> None:
        """Start a local adb server (adbutils ships the binary) when none answers; we do it
        here rather than let adbutils retry inside every connection."""
        if self._reachable():
            return
        where = f"adb server at {self.host}:{self.port}"
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise DeviceError(f"{where}: not reachable")
        import subprocess

        import adbutils

        try:
            subprocess.run(
                [adbutils.adb_path(), "-P", str(self.port), "start-server"],
                capture_output=True,
                timeout=20.0,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise DeviceError(f"{where}: not running, and starting it failed ({exc})") from exc
        if not self._reachable():
            raise DeviceError(
                f"{where}: not running, and 'adb start-server' did not start it",
                remediation="run 'adb start-server' and check that the port is free",
            )

    def devices(self) -> list[DeviceInfo]:
        """Every device the server knows, whatever its state."""
        try:
            infos = self.client.list(extended=True)
        except _adb_errors() as exc:
            raise DeviceError(
                f"adb server at {self.host}:{self.port}: cannot list devices ({exc})",
                remediation="start it with 'adb start-server', or check the USB connection",
            ) from exc
        return [
            DeviceInfo(
                serial=info.serial,
                state=info.state,
                model=info.tags.get("model"),
                product=info.tags.get("product"),
                transport_id=info.transport_id,
            )
            for info in infos
        ]

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

    def _open(self, service: str, timeout: float) -> Any:
        """A connection to the device's adbd with ``service`` accepted (OKAY).

        Done here rather than with adbutils' ``open_transport``, which leaves the socket open
        when the server answers FAIL and sends an untimed ``host:version`` first."""
        conn = self.server.client.make_connection(timeout=timeout)
        try:
            conn.send_command(f"host:transport:{self.serial}")
            conn.check_okay()
            conn.send_command(service)
            conn.check_okay()
        except BaseException:
            conn.close()
            raise
        return conn

    def _supports_v2(self, timeout: float) -> bool:
        if self._v2 is None:
            try:
                conn = self.server.client.make_connection(timeout=timeout)
                try:
                    conn.send_command(f"host-serial:{self.serial}:features")
                    conn.check_okay()
                    features = conn.read_string_block()
                finally:
                    conn.close()
            except _adb_errors() as exc:
                raise DeviceError(f"device {self.serial}: cannot read features ({exc})") from exc
            self._v2 = "shell_v2" in features.split(",")
        return self._v2

    def shell(self, command: str, timeout: float) -> ShellResult:
        """Run ``command``; a timeout or a dropped connection gives a result with ``error``
        set and what arrived so far. Raises DeviceError only when the device is unreachable."""
        start = time.monotonic()
        deadline = start + timeout
        v2 = self._supports_v2(timeout)
        service = (
            f"shell,v2:{command}" if v2 else f"shell:{command}; echo {_V1_EXIT_MARK.decode()}$?"
        )
        try:
            conn = self._open(service, timeout)
        except _adb_errors() as exc:
            raise DeviceError(
                f"device {self.serial}: cannot open a shell for '{command}' ({exc})"
            ) from exc
        stdout, stderr = io.BytesIO(), io.BytesIO()
        exit_code: int | None = None
        error: str | None = None
        try:
            if v2:
                exit_code = _read_v2(conn.conn, deadline, stdout, stderr)
            else:
                exit_code = _read_v1(conn.conn, deadline, stdout)
        except TimeoutError:
            error = f"timed out after {timeout:g} s"
        except _OutputTooLarge:
            error = f"output larger than {MAX_OUTPUT_BYTES // (1024 * 1024)} MiB; cut"
        except _adb_errors() as exc:
            error = f"connection lost ({exc or type(exc).__name__})"
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
    return int(code) if code.isdigit() else None
