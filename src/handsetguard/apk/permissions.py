"""Permission facts from AOSP frameworks/base/core/res/AndroidManifest.xml: the runtime
("dangerous") permissions, the signature/privileged/app-op ones an ordinary app should not
ask for without a reason, and the binding permissions and actions that mark a component as
one of the powerful service kinds stalkerware relies on."""

from __future__ import annotations

__all__ = ["DANGEROUS", "POWERFUL_BINDINGS", "SIGNATURE_LEVEL"]

_P = "android.permission."

DANGEROUS = frozenset(
    _P + name
    for name in (
        "READ_CALENDAR WRITE_CALENDAR CAMERA READ_CONTACTS WRITE_CONTACTS GET_ACCOUNTS "
        "ACCESS_FINE_LOCATION ACCESS_COARSE_LOCATION ACCESS_BACKGROUND_LOCATION RECORD_AUDIO "
        "READ_PHONE_STATE READ_PHONE_NUMBERS CALL_PHONE ANSWER_PHONE_CALLS READ_CALL_LOG "
        "WRITE_CALL_LOG ADD_VOICEMAIL USE_SIP PROCESS_OUTGOING_CALLS BODY_SENSORS "
        "BODY_SENSORS_BACKGROUND SEND_SMS RECEIVE_SMS READ_SMS RECEIVE_WAP_PUSH RECEIVE_MMS "
        "READ_EXTERNAL_STORAGE WRITE_EXTERNAL_STORAGE ACCESS_MEDIA_LOCATION ACTIVITY_RECOGNITION "
        "ACCEPT_HANDOVER UWB_RANGING BLUETOOTH_SCAN BLUETOOTH_CONNECT BLUETOOTH_ADVERTISE "
        "NEARBY_WIFI_DEVICES POST_NOTIFICATIONS READ_MEDIA_IMAGES READ_MEDIA_VIDEO "
        "READ_MEDIA_AUDIO READ_MEDIA_VISUAL_USER_SELECTED"
    ).split()
)

SIGNATURE_LEVEL = frozenset(
    _P + name
    for name in (
        "BIND_ACCESSIBILITY_SERVICE BIND_NOTIFICATION_LISTENER_SERVICE BIND_DEVICE_ADMIN "
        "BIND_VPN_SERVICE BIND_INPUT_METHOD SYSTEM_ALERT_WINDOW WRITE_SETTINGS "
        "PACKAGE_USAGE_STATS REQUEST_INSTALL_PACKAGES MANAGE_EXTERNAL_STORAGE INSTALL_PACKAGES "
        "DELETE_PACKAGES READ_LOGS WRITE_SECURE_SETTINGS READ_PRIVILEGED_PHONE_STATE "
        "MANAGE_DEVICE_ADMINS BIND_DEVICE_ADMIN CAPTURE_AUDIO_OUTPUT READ_FRAME_BUFFER "
        "MANAGE_ACCOUNTS INTERACT_ACROSS_USERS INTERACT_ACROSS_USERS_FULL "
        "QUERY_ALL_PACKAGES SCHEDULE_EXACT_ALARM BIND_NOTIFICATION_ASSISTANT_SERVICE"
    ).split()
)

POWERFUL_BINDINGS = {
    _P + "BIND_ACCESSIBILITY_SERVICE": "accessibility",
    "android.accessibilityservice.AccessibilityService": "accessibility",
    _P + "BIND_NOTIFICATION_LISTENER_SERVICE": "notification_listener",
    "android.service.notification.NotificationListenerService": "notification_listener",
    _P + "BIND_DEVICE_ADMIN": "device_admin",
    "android.app.action.DEVICE_ADMIN_ENABLED": "device_admin",
    _P + "BIND_VPN_SERVICE": "vpn",
    "android.net.VpnService": "vpn",
    _P + "BIND_INPUT_METHOD": "input_method",
    "android.view.InputMethod": "input_method",
}
