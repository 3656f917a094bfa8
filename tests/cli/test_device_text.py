"""What a phone says about itself and the command line prints on its own — ``devices`` lines,
the ``check --all`` table, ``collect``'s confirmation — is shown, never obeyed: control and
bidi characters escaped, and rich markup in it printed as the characters it is (the table's
cells are ``Text``, not markup strings). The phones are the fake adb server's, serving the
KS-60 Secure replay (Android 14, user build) with a hostile serial or ro.product.model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adb.replay import example_outputs
from tests.cli_runner import invoke
from tests.fakeadb import FakeAdbServer, FakeDevice, Reply, ReplySource, fixtures

fake_adb = fixtures.fake_adb

MARKUP = "[bold][link=https://evil.example]KS[/link][/bold]"
ESCAPES = "\x1b]0;owned\x07\u202e"


@pytest.fixture(autouse=True)
def _no_host_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_USER_HOME", str(tmp_path / "android-home"))


def hostile_phone(serial: str = "UNIT0007", getprop_model: str | None = None) -> FakeDevice:
    replies: dict[str, ReplySource] = {
        command: Reply(stdout=output) if isinstance(output, bytes) else output
        for command, output in example_outputs().items()
    }
    if getprop_model is not None:
        getprop = example_outputs()["getprop"]
        assert isinstance(getprop, bytes)
        replies["getprop"] = Reply(
            stdout=getprop.replace(b"[KS-60 Secure]", f"[{getprop_model}]".encode())
        )
    return FakeDevice(serial, replies=replies, model=MARKUP + ESCAPES)


def test_devices_lines_escape_the_serial(fake_adb: FakeAdbServer) -> None:
    # adb reports the model with every character outside [A-Za-z0-9_-] replaced by '_' (the
    # fake does the same), but the serial is the device's USB serial string as it gave it.
    fake_adb.add(hostile_phone(serial="UNIT" + ESCAPES + "7"))
    code, out, err = invoke("devices")
    assert (code, err) == (0, "")
    [line] = out.splitlines()
    serial, state, model = line.split("\t")
    assert (serial, state) == ("UNIT\\x1b]0;owned\\x07\\u202e7", "device")
    assert "\x1b" not in out and "\u202e" not in out
    assert model == "_bold__link_https___evil_example_KS__link___bold___0_owned__"


def test_the_all_table_prints_markup_in_device_strings_as_text(fake_adb: FakeAdbServer) -> None:
    # The table's model is the report's ro.product.model: markup and escapes in it.
    fake_adb.add(hostile_phone(getprop_model="[red]KS-60[/red]\x1b[2J"))
    code, out, err = invoke("check", "--all")
    assert code == 0, err
    flat = " ".join(out.replace("│", " ").split())
    assert "[red]KS-60[/red]\\x1b[2J" in flat  # the tags are characters, not a colour
    assert "\x1b" not in out + err


def test_the_collect_line_shows_the_serial_as_given(
    fake_adb: FakeAdbServer, tmp_path: Path
) -> None:
    fake_adb.add(hostile_phone(serial="UNIT[bold]8"))
    target = tmp_path / "snap"
    code, out, err = invoke("collect", "adb", "-o", str(target))
    assert code == 0, err
    assert out == f"snapshot of UNIT[bold]8 saved to {target}\n"
    assert (target / "snapshot.json").is_file()
