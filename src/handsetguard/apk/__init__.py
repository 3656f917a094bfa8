"""APK inspection: the container as Android's installer reads it (tampering reported), the
binary manifest, and signature schemes v1, v2, v3 and v3.1 verified as the platform does."""

from handsetguard.apk.errors import ApkFormatError
from handsetguard.apk.inspect import inspect_apk
from handsetguard.apk.model import ApiRange, ApkReport, Signature, Signer

__all__ = ["ApiRange", "ApkFormatError", "ApkReport", "Signature", "Signer", "inspect_apk"]
