"""The fake adb server driven by the real adbutils 2.12 client: listings, shell v1/v2, replies
over time, faults (hang, drop, unplug, refusal, unauthorized, dead server), concurrency.

The exception each fault raises in adbutils is pinned here, so that a change in adbutils shows.
Device: the fake KS_60 (ks60_in/kestrel60) with the default feature list of an Android 14 adbd.
"""

from __future__ import annotations

import gc
import socket
import stat
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import adbutils
import pytest

import tests.fakeadb
from tests.fakeadb import FakeAdbServer, FakeDevice, Reply, device_from_outputs, fixtures
from tests.fakeadb.device import UNAUTHORIZED_MESSAGE

fake_adb = fixtures.fake_adb

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SERIAL = "KS60A0001"

Call = Callable[[], object]

# adbutils never closes the connection of a transport or shell the server FAILs, nor the socket
# of a failed connect (BaseDevice.open_transport / open_shell, AdbConnection._create_socket):
# the socket is closed by the garbage collector with a ResourceWarning. The tests that provoke
# that say so; the fixture collects garbage in their teardown, so no other test sees it.
adbutils_leaks_socket = pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")


def _wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


def _wait_for_calls(phone: FakeDevice, count: int) -> None:
    """Until ``phone`` has served ``count`` commands (each recorded once OKAY is sent)."""
    _wait_until(lambda: len(phone.calls) >= count)


def _in_thread(call: Call) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``call`` in a thread; the dict gets "result" or "error"."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except Exception as exc:  # handed to the test, which asserts on it
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_exported_names_are_pinned() -> None:
    assert sorted(tests.fakeadb.__all__) == [
        "FakeAdbServer",
        "FakeDevice",
        "Reply",
        "ReplySource",
        "device_from_outputs",
    ]


# -- listing -------------------------------------------------------------------------------


def test_server_version_and_devices_with_states(fake_adb: FakeAdbServer) -> None:
    for serial, state in [("A1", "device"), ("B2", "unauthorized"), ("C3", "offline")]:
        fake_adb.add(FakeDevice(serial, state=state))
    client = fake_adb.client()

    assert client.server_version() == 41
    assert [(i.serial, i.state) for i in client.list()] == [
        ("A1", "device"),
        ("B2", "unauthorized"),
        ("C3", "offline"),
    ]
    assert [d.serial for d in client.device_list()] == ["A1"]


def test_devices_l_fields_as_adb_prints_them(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(FakeDevice("A1", model="Pixel 8 Pro", product="husky", device="husky"))
    fake_adb.add(FakeDevice("192.168.1.20:5555", state="unauthorized"))
    infos = fake_adb.client().list(extended=True)

    assert [(i.serial, i.state, i.tags) for i in infos] == [
        (
            "A1",
            "device",
            # adb replaces non-alphanumerics in the model (transport.cpp sanitize)
            {
                "usb": "1-1",
                "product": "husky",
                "model": "Pixel_8_Pro",
                "device": "husky",
                "transport_id": "1",
            },
        ),
        # names are unknown until the device is authorised
        ("192.168.1.20:5555", "unauthorized", {"usb": "1-2", "transport_id": "2"}),
    ]
    assert infos[1].transport_id == 2


def test_track_devices_reports_changes(fake_adb: FakeAdbServer) -> None:
    phone = FakeDevice("A1")
    fake_adb.add(phone)
    events = fake_adb.client(socket_timeout=5).track_devices()
    try:
        assert next(events) == adbutils.DeviceEvent(True, "A1", "device")
        phone.unplug()
        assert next(events) == adbutils.DeviceEvent(False, "A1", "absent")
        phone.set_state("unauthorized")
        phone.plug()
        assert next(events) == adbutils.DeviceEvent(True, "A1", "unauthorized")
    finally:
        events.close()


# -- shell ---------------------------------------------------------------------------------


def test_shell_v1_replays_a_recorded_getprop(fake_adb: FakeAdbServer) -> None:
    recorded = (FIXTURES / "getprop" / "bracket_in_value.txt").read_bytes()
    fake_adb.add(device_from_outputs(SERIAL, {"getprop": recorded}))
    phone = fake_adb.client().device(SERIAL)

    # shell() decodes and strips the trailing newline
    assert phone.shell("getprop") == recorded.decode().rstrip()
    assert phone.shell("getprop", encoding=None) == recorded


def test_shell2_v2_separates_stderr_and_keeps_the_exit_code(fake_adb: FakeAdbServer) -> None:
    big = b"".join(b"Package [com.example.app%d] (%x):\n" % (i, i) for i in range(5000))
    fake_adb.add(
        FakeDevice(
            SERIAL,
            replies={
                "dumpsys package": Reply(stdout=big, stderr=b"warning: partial\n", exit_code=3)
            },
        )
    )
    result = fake_adb.client().device(SERIAL).shell2("dumpsys package", v2=True, encoding=None)

    assert len(big) > 100_000  # several v2 packets
    assert (result.returncode, result.stdout, result.stderr) == (3, big, b"warning: partial\n")
    assert "shell,v2:dumpsys package" in fake_adb.requests


def test_shell2_v1_exit_code_through_the_echoed_mark(fake_adb: FakeAdbServer) -> None:
    phone = FakeDevice(
        SERIAL, replies={"ls /data": Reply(stdout=b"a\n", stderr=b"denied\n", exit_code=1)}
    )
    fake_adb.add(phone)
    result = fake_adb.client().device(SERIAL).shell2("ls /data")

    # v1 has one stream: stderr is merged into the output
    assert (result.returncode, result.output) == (1, "a\ndenied\n")
    assert "shell:ls /data; echo X4EXIT:$?" in fake_adb.requests
    assert phone.calls == ["ls /data"]


def test_unknown_command_answers_like_mksh(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(FakeDevice(SERIAL))
    fake_adb.add(FakeDevice("OTHER", default=Reply(stdout=b"ok\n")))
    client = fake_adb.client()

    result = client.device(SERIAL).shell2("dumpsys nosuch --all", v2=True)
    assert (result.returncode, result.stderr) == (
        127,
        "/system/bin/sh: dumpsys: inaccessible or not found\n",
    )
    assert client.device("OTHER").shell("anything") == "ok"


def test_reply_sequence_is_consumed_in_order_and_the_last_repeats(
    fake_adb: FakeAdbServer,
) -> None:
    phone = FakeDevice(SERIAL)
    phone.set_reply("dumpsys appops", [Reply(stdout=b"one"), Reply(stdout=b"two")])
    fake_adb.add(phone)
    device = fake_adb.client().device(SERIAL)

    assert [device.shell("dumpsys appops") for _ in range(4)] == ["one", "two", "two", "two"]
    phone.set_reply("dumpsys appops", (Reply(stdout=b"again"), Reply(stdout=b"end")))
    assert [device.shell("dumpsys appops") for _ in range(2)] == ["again", "end"]
    assert fake_adb.round_trips == 6
    assert phone.calls == ["dumpsys appops"] * 6


def test_reply_callable_is_asked_on_every_call(fake_adb: FakeAdbServer) -> None:
    counter = iter(range(100))
    phone = FakeDevice(SERIAL, replies={"date": lambda: Reply(stdout=b"%d" % next(counter))})
    fake_adb.add(phone)
    device = fake_adb.client().device(SERIAL)

    assert [device.shell("date") for _ in range(3)] == ["0", "1", "2"]


@adbutils_leaks_socket
def test_reply_callable_that_raises_fails_the_service_and_is_recorded(
    fake_adb: FakeAdbServer,
) -> None:
    def broken() -> Reply:
        raise FileNotFoundError("recordings/getprop.txt")

    fake_adb.add(FakeDevice(SERIAL, replies={"getprop": broken}))
    with pytest.raises(adbutils.AdbError, match="^fake adb: FileNotFoundError: recordings/"):
        fake_adb.client().device(SERIAL).shell("getprop")
    assert [type(e) for e in fake_adb.errors] == [FileNotFoundError]
    fake_adb.errors.clear()  # expected here; the fixture fails any other test on them


def test_transport_by_id_and_old_servers(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(device_from_outputs(SERIAL, {"id": b"uid=2000(shell)\n"}))
    assert fake_adb.client().device(transport_id=1).shell("id") == "uid=2000(shell)"
    assert "host:transport-id:1" in fake_adb.requests

    # adbutils sends host:transport:S (no transport id in the answer) to servers before 41
    with FakeAdbServer([device_from_outputs("OLD", {"id": b"x\n"})], version=40) as old:
        assert old.client().device("OLD").shell("id") == "x"
        assert "host:transport:OLD" in old.requests
        assert not any(r.startswith("host:tport:") for r in old.requests)


def test_device_queries(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(FakeDevice("192.168.1.20:5555", features="cmd,stat_v2"))
    device = fake_adb.client().device("192.168.1.20:5555")

    assert device.get_state() == "device"
    assert device.get_serialno() == "192.168.1.20:5555"
    assert device.get_devpath() == "usb:1-1"
    assert device.get_features() == "cmd,stat_v2"


def test_without_shell_v2_adbutils_falls_back_to_v1(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(
        FakeDevice(SERIAL, features="cmd", replies={"id": Reply(stdout=b"x", exit_code=2)})
    )
    result = fake_adb.client().device(SERIAL).shell2("id", v2=True)

    assert (result.returncode, result.output) == (2, "x")
    assert not any(r.startswith("shell,v2:") for r in fake_adb.requests)


# -- timing --------------------------------------------------------------------------------


def test_latency_and_delay_are_honoured(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(FakeDevice(SERIAL, latency=0.1, replies={"getprop": Reply(delay=0.15)}))
    device = fake_adb.client().device(SERIAL)

    start = time.monotonic()
    device.shell("getprop")
    assert time.monotonic() - start >= 0.24  # lower bound only


def test_hang_makes_a_short_timeout_fire(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(FakeDevice(SERIAL, replies={"logcat": Reply(hang=True)}))
    device = fake_adb.client().device(SERIAL)

    calls: list[Call] = [
        lambda: device.shell("logcat", timeout=0.5),
        lambda: device.shell2("logcat", timeout=0.5, v2=True),
    ]
    for call in calls:
        start = time.monotonic()
        with pytest.raises(adbutils.AdbTimeout, match="^adb read timeout$"):
            call()
        assert 0.45 <= time.monotonic() - start < 3.0


def test_concurrent_streams_on_one_device_are_served_at_once(fake_adb: FakeAdbServer) -> None:
    """20 commands each wait until all 20 are being served: a serial server would break the
    barrier and every command would fail."""
    barrier = threading.Barrier(20, timeout=5)

    def together() -> Reply:
        barrier.wait()
        return Reply(stdout=b"ok")

    phone = FakeDevice(SERIAL, replies={f"cmd{i}": together for i in range(20)})
    fake_adb.add(phone)
    device = fake_adb.client().device(SERIAL)
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda i: device.shell2(f"cmd{i}", v2=True), range(20)))

    assert [r.stdout for r in results] == ["ok"] * 20
    assert fake_adb.round_trips == 20


@pytest.mark.parametrize("devices", [1, 10])
def test_ten_calls_with_latency_overlap(fake_adb: FakeAdbServer, devices: int) -> None:
    """Ten shell calls, on one device or one each on ten, with 50 ms latency per call."""
    latency = 0.05
    for d in range(devices):
        recorded = {f"getprop {i}": b"%d\n" % i for i in range(10)}
        fake_adb.add(device_from_outputs(f"D{d}", recorded, latency=latency))
    client = fake_adb.client()
    client.server_version()  # warm up

    def call(i: int) -> str:
        output: str = client.device(f"D{i % devices}").shell(f"getprop {i}")
        return output

    start = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        outputs = list(pool.map(call, range(10)))
    elapsed = time.monotonic() - start

    assert outputs == [str(i) for i in range(10)]
    # Served one after another they would take at least 10 x latency (about 1 x here).
    assert elapsed < 10 * latency


# -- faults --------------------------------------------------------------------------------


def test_disconnect_after_cuts_the_output(fake_adb: FakeAdbServer) -> None:
    cut = Reply(stdout=b"x" * 100, exit_code=0, disconnect_after=10)
    fake_adb.add(FakeDevice(SERIAL, replies={"dumpsys": cut}))
    device = fake_adb.client().device(SERIAL)

    with pytest.raises(EOFError, match="^Expected 100 bytes, got 10$"):
        device.shell2("dumpsys", v2=True)
    with pytest.raises(adbutils.AdbError) as info:
        device.shell2("dumpsys")
    assert info.value.args == ("shell output invalid", "dumpsys; echo X4EXIT:$?", b"x" * 10)
    # Plain shell v1 has no framing: the cut output is returned as if complete.
    assert device.shell("dumpsys") == "x" * 10


@adbutils_leaks_socket
def test_unplug_drops_streams_in_flight_and_later_transports(fake_adb: FakeAdbServer) -> None:
    phone = FakeDevice(SERIAL, replies={"bugreportz": Reply(stdout=b"late", delay=30)})
    fake_adb.add(phone)
    client = fake_adb.client()
    device = client.device(SERIAL)
    calls: list[Call] = [
        lambda: device.shell2("bugreportz", v2=True),
        lambda: device.shell2("bugreportz"),
        lambda: device.shell("bugreportz"),
    ]
    outcomes = []
    for call in calls:
        served = len(phone.calls)
        thread, outcome = _in_thread(call)
        _wait_for_calls(phone, served + 1)
        phone.unplug()
        thread.join(5)
        outcomes.append(outcome)
        phone.plug()

    assert repr(outcomes[0]["error"]) == "EOFError('Expected 5 bytes, got 0')"
    assert outcomes[1]["error"].args == ("shell output invalid", "bugreportz; echo X4EXIT:$?", b"")
    assert outcomes[2] == {"result": ""}  # v1 cannot tell a drop from an empty output

    phone.unplug()
    assert client.list() == []
    with pytest.raises(adbutils.AdbError, match=f"^device '{SERIAL}' not found$"):
        device.shell("id")


@adbutils_leaks_socket
def test_unplug_while_the_shell_opens(fake_adb: FakeAdbServer) -> None:
    """The device vanishes after the shell was asked for and before it was accepted."""
    phone = FakeDevice(SERIAL)

    def vanish() -> Reply:
        phone.unplug()
        return Reply(stdout=b"never sent")

    phone.set_reply("id", vanish)
    fake_adb.add(phone)
    device = fake_adb.client().device(SERIAL)
    calls: list[Call] = [lambda: device.shell("id"), lambda: device.shell2("id", v2=True)]
    for call in calls:
        with pytest.raises(adbutils.AdbError, match=r"^Unknown data: b''$"):
            call()
        phone.plug()
    assert phone.calls == []  # never accepted


@adbutils_leaks_socket
def test_refuse_answers_fail_with_the_message(fake_adb: FakeAdbServer) -> None:
    refused = Reply(refuse="closed")
    phone = FakeDevice(SERIAL, replies={"su -c id": refused})
    fake_adb.add(phone)
    device = fake_adb.client().device(SERIAL)

    with pytest.raises(adbutils.AdbError, match="^closed$"):
        device.shell("su -c id")
    with pytest.raises(adbutils.AdbError, match="^closed$"):
        device.shell2("su -c id", v2=True)
    assert phone.calls == ["su -c id", "su -c id"]


@adbutils_leaks_socket
@pytest.mark.parametrize(
    ("state", "message"),
    [("unauthorized", UNAUTHORIZED_MESSAGE), ("offline", "device offline")],
)
def test_unusable_states_fail_shells(fake_adb: FakeAdbServer, state: str, message: str) -> None:
    phone = FakeDevice(SERIAL, state=state)
    fake_adb.add(phone)
    device = fake_adb.client().device(SERIAL)

    calls: list[Call] = [
        lambda: device.shell("getprop"),
        lambda: device.shell2("getprop", v2=True),  # fails at host-serial:S:features
        lambda: device.get_state(),
    ]
    for call in calls:
        with pytest.raises(adbutils.AdbError) as info:
            call()
        assert str(info.value) == message
    assert phone.calls == []

    phone.set_state("device")
    assert device.shell("getprop") == "/system/bin/sh: getprop: inaccessible or not found"


def test_state_change_drops_streams_in_flight(fake_adb: FakeAdbServer) -> None:
    phone = FakeDevice(SERIAL, replies={"logcat -d": Reply(hang=True)})
    fake_adb.add(phone)
    device = fake_adb.client().device(SERIAL)
    thread, outcome = _in_thread(lambda: device.shell2("logcat -d", v2=True, timeout=10))
    _wait_for_calls(phone, 1)
    phone.set_state("offline")
    thread.join(5)

    assert isinstance(outcome["error"], EOFError)


# -- stopping and a dead server ------------------------------------------------------------


def test_stop_closes_open_streams_and_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADBUTILS_ADB_PATH", fixtures.NO_ADB)
    phone = FakeDevice(SERIAL, replies={"logcat": Reply(hang=True)})
    server = FakeAdbServer([phone]).start()
    device = server.client().device(SERIAL)
    thread, outcome = _in_thread(lambda: device.shell2("logcat", v2=True, timeout=30))
    idle = socket.create_connection((server.host, server.port), timeout=5)  # sends nothing
    _wait_for_calls(phone, 1)

    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 2.0
    thread.join(5)
    assert isinstance(outcome["error"], EOFError)
    assert idle.recv(1) == b""  # closed by the server
    idle.close()
    assert fixtures.fakeadb_threads() == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=1).close()
    server.stop()  # idempotent


@adbutils_leaks_socket
def test_adbutils_runs_adb_start_server_when_the_port_is_dead(
    fake_adb: FakeAdbServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AdbConnection._safe_connect runs ``<adb> start-server`` (no port given: a real adb would
    start on $ANDROID_ADB_SERVER_PORT or 5037) and connects once more. Here "adb" is a script
    that only records its arguments."""
    log = tmp_path / "adb-args"
    script = tmp_path / "adb"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("ADBUTILS_ADB_PATH", str(script))
    client = fake_adb.client()
    fake_adb.stop()

    start = time.monotonic()
    with pytest.raises(adbutils.AdbError) as info:
        client.server_version()
    assert time.monotonic() - start < 5.0
    assert type(info.value).__name__ == "AdbConnectionError"
    assert str(info.value).startswith("connect to adb server failed: [Errno 111]")
    assert log.read_text() == "start-server\n"


def test_leaked_adbutils_socket_is_pinned(fake_adb: FakeAdbServer) -> None:
    """The leak behind ``adbutils_leaks_socket``: when it is fixed upstream this fails, and the
    mark (and any workaround in handsetguard.adb) can go."""
    client = fake_adb.client()
    with pytest.warns(ResourceWarning, match="unclosed <socket.socket"):
        with pytest.raises(adbutils.AdbError):
            client.device("MISSING").get_state()
        gc.collect()
