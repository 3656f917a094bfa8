"""Maintained lists the app checks rely on: the app stores an install may come from, and the
packages of root managers. Edit here (with a source for each entry); profiles add their own
``trusted_installers``."""

from __future__ import annotations

__all__ = ["KNOWN_STORES", "ROOT_PACKAGES"]

# Installer package names of app stores that review what they distribute: Google Play, the
# stores of the OEMs whose phones are sold in the licensed territories (and beyond), and the
# established independent stores. An app whose installer is one of these is not "sideloaded".
# The package installer (com.android.packageinstaller, com.google.android.packageinstaller,
# com.miui.packageinstaller…), adb (no installer) and browsers are not stores.
KNOWN_STORES = frozenset(
    {
        "com.android.vending",  # Google Play
        "com.google.android.feedback",  # Google Play, older installs
        "com.google.android.apps.work.clouddpc",  # managed Play via Android Device Policy
        "com.amazon.venezia",  # Amazon Appstore
        "com.sec.android.app.samsungapps",  # Samsung Galaxy Store
        "com.huawei.appmarket",  # Huawei AppGallery
        "com.hihonor.appmarket",  # HONOR App Market
        "com.xiaomi.mipicks",  # Xiaomi GetApps (global)
        "com.xiaomi.market",  # Xiaomi Mi Market (China)
        "com.xiaomi.discover",  # Xiaomi system app updates
        "com.heytap.market",  # OPPO / realme / OnePlus App Market (HeyTap)
        "com.oppo.market",  # OPPO App Market, older ColorOS
        "com.vivo.appstore",  # vivo App Store (global)
        "com.bbk.appstore",  # vivo App Store (China)
        "com.transsnet.store",  # Transsion Palm Store (TECNO, Infinix, itel)
        "com.meizu.mstore",  # Meizu App Store (Flyme)
        "com.lenovo.leos.appstore",  # Lenovo App Store
        "zte.com.market",  # ZTE / nubia App Store
        "org.fdroid.fdroid",  # F-Droid
        "org.fdroid.basic",  # F-Droid basic
        "com.aurora.store",  # Aurora Store (Google Play client)
    }
)

ROOT_PACKAGES = frozenset(
    {
        "com.topjohnwu.magisk",
        "io.github.vvb2060.magisk",
        "io.github.huskydg.magisk",
        "me.weishu.kernelsu",
        "me.bmax.apatch",
        "eu.chainfire.supersu",
        "com.noshufou.android.su",
        "com.noshufou.android.su.elite",
        "com.koushikdutta.superuser",
        "com.thirdparty.superuser",
        "com.yellowes.su",
        "com.kingroot.kinguser",
        "com.kingo.root",
        "com.smedialink.oneclickroot",
        "com.zhiqupk.root.global",
        "com.alephzain.framaroot",
        "de.robv.android.xposed.installer",
        "org.lsposed.manager",
    }
)
