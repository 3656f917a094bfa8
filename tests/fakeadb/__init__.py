"""A fake adb server for tests: the real adbutils client talks to it over loopback TCP and gets
recorded shell outputs back, with latency, hangs, drops, refusals and device states on demand.

Use the ``fake_adb`` fixture (``tests.fakeadb.fixtures``) or ``with FakeAdbServer([...]) as s:``.
"""

from tests.fakeadb.device import Reply, ReplySource
from tests.fakeadb.replay import device_from_outputs
from tests.fakeadb.server import FakeAdbServer, FakeDevice

__all__ = ["FakeAdbServer", "FakeDevice", "Reply", "ReplySource", "device_from_outputs"]
