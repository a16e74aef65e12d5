"""The advertiser against python-dbusmock's BlueZ on a private system bus.

The advertiser (dbus-fast) runs in a thread with its own event loop; the test drives and
inspects the mock with blocking dbus-python calls: the registered advertisement is a broadcast
of 0xFEAA service data holding the site's frames, and it is registered again when the adapter
comes back (as after a bluetoothd restart).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import dbus
import pytest

from beacon_gateway.advertiser import AD_PATH, FEAA, Advertiser, site_frames
from beacon_gateway.config import AdvertiseConfig
from eddystone import UidFrame, UrlFrame, parse_service_data
from tests.gateway.bluez_support import bluez  # noqa: F401 (the fixture)

pytestmark = pytest.mark.bluez

CFG = AdvertiseConfig(
    url="https://balise.fr/s", uid="00112233445566778899:0000000000a1", interval_ms=200
)


class AdvertiserThread(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.adv = Advertiser(CFG, "hci0", temperature=lambda: 47.5, rotate_s=0.05)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.error: BaseException | None = None

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        await self.adv.run(self.stop_event)

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by the test
            self.error = exc

    def stop(self) -> None:
        if self.loop is not None and self.stop_event is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.join(timeout=10)


def _wait(what: str, check: Callable[[], bool], thread: AdvertiserThread) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert thread.error is None, thread.error
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.02)


def _manager(conn: Any) -> Any:
    props = dbus.Interface(
        conn.get_object("org.bluez", "/org/bluez/hci0"), "org.freedesktop.DBus.Properties"
    )
    return props.GetAll("org.bluez.LEAdvertisingManager1")


def test_site_frames_are_eddystone_url_and_uid() -> None:
    url, uid = (parse_service_data(f) for f in site_frames(CFG))
    assert isinstance(url, UrlFrame) and url.url == "https://balise.fr/s"
    assert isinstance(uid, UidFrame) and uid.instance.hex() == "0000000000a1"
    assert site_frames(AdvertiseConfig()) == []


def test_registered_advertisement_carries_the_frames(bluez: Any) -> None:  # noqa: F811
    conn = bluez
    thread = AdvertiserThread()
    thread.start()
    try:
        _wait("registration", lambda: thread.adv.stats.registrations == 1, thread)
        assert _manager(conn)["ActiveInstances"] == 1
        assert thread.adv._bus is not None
        ours = conn.get_object(thread.adv._bus.unique_name, AD_PATH)
        props = dbus.Interface(ours, "org.freedesktop.DBus.Properties")
        seen: dict[str, bytes] = {}
        deadline = time.monotonic() + 10
        while len(seen) < 3 and time.monotonic() < deadline:
            got = props.GetAll("org.bluez.LEAdvertisement1")
            assert got["Type"] == "broadcast"
            assert list(got["ServiceUUIDs"]) == [FEAA]
            assert got["MinInterval"] == got["MaxInterval"] == 200
            frame = bytes(got["ServiceData"][FEAA])
            seen[type(parse_service_data(frame)).__name__] = frame
            time.sleep(0.01)
        assert set(seen) == {"UrlFrame", "UidFrame", "TlmFrame"}, "rotates URL, UID and TLM"
        assert seen["UidFrame"] in site_frames(CFG) and seen["UrlFrame"] in site_frames(CFG)
        tlm = parse_service_data(seen["TlmFrame"])
        assert getattr(tlm, "temperature_c", None) == 47.5
        assert getattr(tlm, "battery_mv", None) == 0  # mains powered

        # bluetoothd restarts: the adapter (and our registration) goes away and comes back.
        mock = dbus.Interface(conn.get_object("org.bluez", "/"), "org.bluez.Mock")
        mock.RemoveAdapter("hci0")
        mock.AddAdapter("hci0", "gw")
        _wait("re-registration", lambda: thread.adv.stats.registrations == 2, thread)
        assert _manager(conn)["ActiveInstances"] == 1
    finally:
        thread.stop()
    assert thread.error is None, thread.error
    assert not thread.is_alive()
    assert _manager(conn)["ActiveInstances"] == 0, "unregistered on stop"
