"""The fake adb server's wire behaviour seen from a raw socket (what adbutils does not reach:
malformed requests, exec:, unknown services, track-devices clean-up) and its input checks."""

from __future__ import annotations

import socket
import time

import pytest

from tests.fakeadb import FakeAdbServer, FakeDevice, Reply, device_from_outputs, fixtures
from tests.fakeadb.protocol import ShellKind, ShellRequest, parse_length, shell_output

fake_adb = fixtures.fake_adb


def _connect(server: FakeAdbServer) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=5)


def _request(sock: socket.socket, service: str) -> None:
    data = service.encode()
    sock.sendall(b"%04x" % len(data) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, f"closed after {len(data)} of {n} bytes"
        data += chunk
    return bytes(data)


def _read_all(sock: socket.socket) -> bytes:
    """Until the server closes; a reset (a close with our bytes unread) counts as closed."""
    data = bytearray()
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return bytes(data)


def _conversation(server: FakeAdbServer, *services: str) -> bytes:
    """Send the services on one connection; everything the server answers until it closes."""
    with _connect(server) as sock:
        for service in services:
            _request(sock, service)
        return _read_all(sock)


def _connection_threads() -> list[str]:
    return [t.name for t in fixtures.fakeadb_threads() if "-conn-" in t.name]


def _wait_for_no_connection_threads(timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while _connection_threads():
        if time.monotonic() > deadline:
            raise AssertionError(f"still serving: {_connection_threads()}")
        time.sleep(0.01)


@pytest.mark.parametrize("prefix", [b"zzzz", b"-001", b"0x10", b" 1f "])
def test_a_malformed_length_prefix_closes_the_connection(
    fake_adb: FakeAdbServer, prefix: bytes
) -> None:
    with _connect(fake_adb) as sock:
        sock.sendall(prefix + b"host:version")
        assert _read_all(sock) == b""


def test_a_request_cut_short_is_dropped(fake_adb: FakeAdbServer) -> None:
    with _connect(fake_adb) as sock:
        sock.sendall(b"ffffhost:")  # promises 65535 bytes
        sock.shutdown(socket.SHUT_WR)
        assert _read_all(sock) == b""
    assert fake_adb.requests == []


def test_host_answers(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(FakeDevice("A1"))
    fake_adb.add(FakeDevice("B2", features="cmd"))

    assert _conversation(fake_adb, "host:version") == b"OKAY00040029"
    assert _conversation(fake_adb, "host:devices") == b"OKAY0014A1\tdevice\nB2\tdevice\n"
    assert _conversation(fake_adb, "host:kill") == b"FAIL0014unknown host service"
    assert _conversation(fake_adb, "host-transport-id:2:features") == b"OKAY0003cmd"
    assert _conversation(fake_adb, "host:transport-any") == b"FAIL001dmore than one device/emulator"
    assert _conversation(fake_adb, "host:transport-id:9") == (
        b"FAIL001fno device with transport id '9'"
    )


def test_tport_answers_the_transport_id_then_serves_exec(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(FakeDevice("A1"))
    fake_adb.add(FakeDevice("B2", replies={"cat f": Reply(stdout=b"out", stderr=b"err")}))

    answer = _conversation(fake_adb, "host:tport:serial:B2", "exec:cat f")
    assert answer == b"OKAY" + (2).to_bytes(8, "little") + b"OKAY" + b"out"  # exec: no stderr


def test_unsupported_device_service_is_refused_like_adbd(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(FakeDevice("A1"))
    assert _conversation(fake_adb, "host:transport:A1", "sync:") == b"OKAYFAIL0006closed"


def test_shell_v2_on_an_old_adbd_is_refused(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(FakeDevice("A1", features="cmd"))
    answer = _conversation(fake_adb, "host:transport:A1", "shell,v2,raw:id")
    assert answer == b"OKAYFAIL0006closed"


def test_track_devices_ends_when_the_client_leaves(fake_adb: FakeAdbServer) -> None:
    phone = FakeDevice("A1")
    fake_adb.add(phone)
    with _connect(fake_adb) as sock:
        _request(sock, "host:track-devices-l")
        assert _recv_exact(sock, 4) == b"OKAY"
        listing = _recv_exact(sock, int(_recv_exact(sock, 4), 16))
        assert listing.startswith(b"A1 ") and listing.endswith(b" transport_id:1\n")
    _wait_for_no_connection_threads()


def test_shell_v2_packets() -> None:
    request = ShellRequest(ShellKind.V2, "id", exit_mark=False)
    reply = Reply(stdout=b"abc", stderr=b"e", exit_code=7)
    assert shell_output(request, reply) == (
        b"\x01\x03\x00\x00\x00abc" + b"\x02\x01\x00\x00\x00e" + b"\x03\x01\x00\x00\x00\x07"
    )
    cut = Reply(stdout=b"abc", disconnect_after=1)
    assert shell_output(request, cut) == b"\x01\x03\x00\x00\x00a"  # header promises 3


@pytest.mark.parametrize(
    ("head", "length"), [(b"0000", 0), (b"00fF", 255), (b"ffff", 65535), (b"fff", None)]
)
def test_parse_length(head: bytes, length: int | None) -> None:
    assert parse_length(head) == length


def test_invalid_replies_and_devices_are_rejected() -> None:
    with pytest.raises(ValueError, match="exit_code 256"):
        Reply(exit_code=256)
    with pytest.raises(ValueError, match="delay"):
        Reply(delay=-1)
    with pytest.raises(ValueError, match="disconnect_after"):
        Reply(disconnect_after=-1)
    with pytest.raises(TypeError, match="bytes"):
        Reply(stdout="text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="state 'online'"):
        FakeDevice("A1", state="online")
    with pytest.raises(ValueError, match="serial"):
        FakeDevice("A 1")
    with pytest.raises(TypeError, match="reply for 'id'"):
        FakeDevice("A1").set_reply("id", [])
    server = FakeAdbServer([FakeDevice("A1")])
    with pytest.raises(ValueError, match="already on this server"):
        server.add(FakeDevice("A1"))


def test_device_from_outputs() -> None:
    phone = device_from_outputs(
        "A1",
        {"getprop": b"[ro.x]: [1]\n", "id": Reply(exit_code=1)},
        state="offline",
        default=Reply(stdout=b"?"),
    )
    assert (phone.serial, phone.state) == ("A1", "offline")
    assert phone._next_reply("getprop") == Reply(stdout=b"[ro.x]: [1]\n")
    assert phone._next_reply("id") == Reply(exit_code=1)
    assert phone._next_reply("whoami") == Reply(stdout=b"?")
