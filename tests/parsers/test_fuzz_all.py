"""Every parser, on arbitrary text and on binary junk read as Latin-1: it returns records or
raises the project's ParseError, nothing else (the per-format files add format-shaped fuzzing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers.accessibility import parse_accessibility
from handsetguard.parsers.adb import parse_dumpsys_adb
from handsetguard.parsers.appops import parse_appops
from handsetguard.parsers.device_policy import parse_device_policy
from handsetguard.parsers.dumpstate_header import parse_dumpstate_header
from handsetguard.parsers.dumpsys_package import parse_dumpsys_package
from handsetguard.parsers.getprop import parse_getprop
from handsetguard.parsers.kernel_log import parse_kernel_selinux
from handsetguard.parsers.lock_settings import parse_lock_settings, parse_window_keyguard
from handsetguard.parsers.mounts import parse_mounts
from handsetguard.parsers.notification import parse_notification_listeners
from handsetguard.parsers.packages_json import parse_packages_json
from handsetguard.parsers.processes import parse_processes
from handsetguard.parsers.provider_settings import parse_provider_settings
from handsetguard.parsers.settings import Namespace, parse_dumpsys_settings, parse_settings_list

PARSERS: dict[str, Callable[[str], object]] = {
    "accessibility": parse_accessibility,
    "adb": parse_dumpsys_adb,
    "appops": partial(parse_appops, tz=UTC, reference=datetime(2025, 1, 1, tzinfo=UTC)),
    "appops_no_reference": partial(parse_appops, tz=UTC, reference=None),
    "device_policy": parse_device_policy,
    "dumpstate_header": parse_dumpstate_header,
    "dumpsys_package": parse_dumpsys_package,
    "getprop": parse_getprop,
    "kernel_log": parse_kernel_selinux,
    "lock_settings": parse_lock_settings,
    "mounts": parse_mounts,
    "notification": parse_notification_listeners,
    "packages_json": parse_packages_json,
    "processes": parse_processes,
    "provider_settings": parse_provider_settings,
    "settings_dumpsys": parse_dumpsys_settings,
    "settings_list": partial(parse_settings_list, namespace=Namespace.SECURE, user=10),
    "window_keyguard": parse_window_keyguard,
}

TEXT = st.one_of(
    st.text(),
    st.binary().map(lambda b: b.decode("latin-1")),
    # Lines that start like the formats' own markers, in any order.
    st.lists(
        st.sampled_from(
            [
                "[a]: [",
                "]\n",
                "Package [x] (1):\n",
                "  User 0: installed=true\n",
                "Uid u0a1:\n",
                "    Access: [top-s] 1970-01-01 ",
                "name=",
                "\n",
                "USER PID NAME\n",
                "Command line: androidboot.x=1\n",
                "{",
                "}",
                "_id:1 name:a value:",
                "PROVIDER ContentProviderRecord{1 u0 com.android.providers.settings/"
                ".SettingsProvider}\n",
                "      SECURE SETTINGS (user 0)\n",
                "  Notification listeners:\n",
                "avc: denied { read } permissive=0\n",
                "enforcing=0 old_enforcing=1\n",
                "    Allowed notification listeners:\n",
                "      a/b:c (user: 0 isPrimary: true)\n",
                "    All notification listeners (2) enabled for current profiles:\n",
                "      ComponentInfo{a/b}\n",
                "\x00",
                "\ufffd",
            ]
        ),
        max_size=30,
    ).map("".join),
)


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=60, deadline=None)
@given(text=TEXT)
def test_parsers_raise_only_parse_error(name: str, text: str) -> None:
    try:
        PARSERS[name](text)
    except ParseError as exc:
        assert exc.message and "\n" not in exc.message
