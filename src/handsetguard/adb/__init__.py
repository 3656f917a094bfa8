"""Live phones over ADB: device selection, concurrent collection into snapshots, live watch.

Needs the ``adb`` extra (``pip install 'handsetguard[adb]'``); nothing here is imported by
``import handsetguard``.
"""
