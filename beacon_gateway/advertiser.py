"""The advertiser: the gateway broadcasts its site's Eddystone-URL, -UID and its own TLM.

BlueZ advertises for us (bleak cannot): we export an ``org.bluez.LEAdvertisement1`` object with
dbus-fast and register it with ``org.bluez.LEAdvertisingManager1.RegisterAdvertisement`` on the
adapter (reference/eddystone.md §4). One advertisement instance carries one frame at a time and
rotates between the configured frames every ``ROTATE_S`` by changing ``ServiceData`` and
emitting ``PropertiesChanged`` (BlueZ refreshes the advertisement; no re-registration, and only
one of the controller's few instances is used). ``Type`` is ``broadcast``: non-connectable, no
Flags AD, and the 28-byte UID PDU fits the 31-byte legacy limit that old phones still need.

The TLM frame carries the Pi's own health: battery 0 (mains powered, "not measured"), the SoC
temperature, the count of frames sent and the advertiser's uptime.

BlueZ drops the advertisement when bluetoothd restarts (and the adapter object disappears and
comes back when it is reset). The advertiser watches ``NameOwnerChanged`` for ``org.bluez`` and
``InterfacesAdded`` for the adapter, and registers again when either says BlueZ is back.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusSignature
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property

from beacon_gateway.config import AdvertiseConfig
from beacon_gateway.fleet_client import cpu_temperature_c
from eddystone import build_tlm, build_uid, build_url

__all__ = ["AdvertisementObject", "Advertiser", "AdvertiserStats", "add_match", "site_frames"]

log = logging.getLogger("beacon_gateway.advertiser")

FEAA = "0000feaa-0000-1000-8000-00805f9b34fb"
AD_PATH = "/org/balise/advertisement0"
ROTATE_S = 1.0
TLM_EVERY = 10  # one TLM rotation slot in ten: health is slow-changing, identities matter

DBusStrList = Annotated[list[str], DBusSignature("as")]
DBusServiceData = Annotated[dict[str, Variant], DBusSignature("a{sv}")]
DBusStr = Annotated[str, DBusSignature("s")]
DBusU32 = Annotated[int, DBusSignature("u")]


def site_frames(cfg: AdvertiseConfig) -> list[bytes]:
    """The identity frames the site broadcasts (URL, UID), built by ``eddystone``."""
    frames: list[bytes] = []
    if cfg.url:
        frames.append(build_url(cfg.tx_power_0m, cfg.url))
    if cfg.uid:
        namespace, instance = cfg.uid.split(":")
        frames.append(build_uid(cfg.tx_power_0m, bytes.fromhex(namespace), bytes.fromhex(instance)))
    return frames


class AdvertisementObject(ServiceInterface):
    """Our exported ``org.bluez.LEAdvertisement1``: a broadcast of one Eddystone frame."""

    def __init__(self, frame: bytes, interval_ms: int) -> None:
        super().__init__("org.bluez.LEAdvertisement1")
        self.frame = frame
        self.interval_ms = interval_ms
        self.released = 0

    @dbus_property(access=PropertyAccess.READ)
    def Type(self) -> DBusStr:
        return "broadcast"

    @dbus_property(access=PropertyAccess.READ)
    def ServiceUUIDs(self) -> DBusStrList:
        return [FEAA]

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> DBusServiceData:
        return {FEAA: Variant("ay", self.frame)}

    @dbus_property(access=PropertyAccess.READ)
    def MinInterval(self) -> DBusU32:
        return self.interval_ms

    @dbus_property(access=PropertyAccess.READ)
    def MaxInterval(self) -> DBusU32:
        return self.interval_ms

    @dbus_method()
    def Release(self) -> None:
        """BlueZ dropped the advertisement (it will be registered again when BlueZ is back)."""
        self.released += 1

    def show(self, frame: bytes) -> None:
        """Switch to ``frame``; BlueZ re-reads ServiceData on PropertiesChanged."""
        if frame != self.frame:
            self.frame = frame
            self.emit_properties_changed({"ServiceData": {FEAA: Variant("ay", frame)}})


@dataclass(slots=True)
class AdvertiserStats:
    """Counters for the heartbeat and tests."""

    registrations: int = 0
    registration_errors: int = 0
    frames_sent: int = 0
    last_error: str | None = None


async def add_match(bus: MessageBus, rule: str) -> None:
    """Have the bus deliver to ``bus`` the signals that ``rule`` matches (D-Bus ``AddMatch``)."""
    await bus.call(
        Message(
            destination="org.freedesktop.DBus",
            path="/org/freedesktop/DBus",
            interface="org.freedesktop.DBus",
            member="AddMatch",
            signature="s",
            body=[rule],
        )
    )


class Advertiser:
    """Registers the site's frames with BlueZ and keeps them on air."""

    def __init__(
        self,
        config: AdvertiseConfig,
        adapter: str = "hci0",
        *,
        temperature: Callable[[], float | None] = cpu_temperature_c,
        rotate_s: float = ROTATE_S,
    ) -> None:
        self.config = config
        self.adapter_path = f"/org/bluez/{adapter}"
        self.temperature = temperature
        self.rotate_s = rotate_s
        self.stats = AdvertiserStats()
        self.frames = site_frames(config)
        self.obj = AdvertisementObject(self.frames[0] if self.frames else b"", config.interval_ms)
        self._bus: MessageBus | None = None
        self._started = time.monotonic()
        self._registered = False
        self._reregister = asyncio.Event()

    def tlm_frame(self) -> bytes:
        """A TLM frame with this Pi's health."""
        return build_tlm(
            0, self.temperature(), self.stats.frames_sent, time.monotonic() - self._started
        )

    async def _call(self, member: str, signature: str, body: list[Any]) -> Message:
        assert self._bus is not None
        reply = await self._bus.call(
            Message(
                destination="org.bluez",
                path=self.adapter_path,
                interface="org.bluez.LEAdvertisingManager1",
                member=member,
                signature=signature,
                body=body,
            )
        )
        assert reply is not None
        return reply

    async def register(self) -> bool:
        """Register the advertisement; False (logged, counted) if BlueZ refused."""
        reply = await self._call("RegisterAdvertisement", "oa{sv}", [AD_PATH, {}])
        if reply.message_type == MessageType.ERROR:
            if reply.error_name == "org.bluez.Error.AlreadyExists":
                self._registered = True
                return True
            self.stats.registration_errors += 1
            self.stats.last_error = f"{reply.error_name}: {reply.body}"
            log.warning("BlueZ refused the advertisement: %s", self.stats.last_error)
            self._registered = False
            return False
        self.stats.registrations += 1
        self._registered = True
        log.info("advertising %d frame(s) on %s", len(self.frames), self.adapter_path)
        return True

    def _on_message(self, msg: Message) -> None:
        if msg.message_type != MessageType.SIGNAL:
            return
        if msg.member == "NameOwnerChanged" and msg.body and msg.body[0] == "org.bluez":
            if msg.body[2]:  # a new owner: bluetoothd (re)started
                self._reregister.set()
            else:
                self._registered = False
        elif (
            msg.member == "InterfacesAdded"
            and msg.body
            and msg.body[0] == self.adapter_path
            and {"org.bluez.Adapter1", "org.bluez.LEAdvertisingManager1"} & set(msg.body[1])
        ):
            self._reregister.set()

    async def start(self) -> None:
        """Connect to the system bus, export the object, watch BlueZ, register."""
        if not self.frames:
            raise ValueError("nothing to advertise: set advertise.url and/or advertise.uid")
        bus = self._bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        bus.export(AD_PATH, self.obj)
        for rule in (
            "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',"
            "arg0='org.bluez'",
            "type='signal',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesAdded'",
        ):
            await add_match(bus, rule)
        bus.add_message_handler(self._on_message)
        await self.register()

    def _next_frame(self, slot: int) -> bytes:
        if slot % TLM_EVERY == TLM_EVERY - 1:
            return self.tlm_frame()
        return self.frames[slot % len(self.frames)]

    async def run(self, stop: asyncio.Event, *, wait_for_bluez: bool = True) -> None:
        """Rotate frames until ``stop``; re-register when BlueZ comes back.

        ``wait_for_bluez=False`` (a person at the command line): raise :class:`RuntimeError`
        at once when BlueZ refuses the first registration (no adapter, BlueZ not running).
        """
        await self.start()
        if not wait_for_bluez and not self._registered:
            await self.close()
            raise RuntimeError(self.stats.last_error or "BlueZ refused the advertisement")
        slot = 0
        try:
            while not stop.is_set():
                if self._reregister.is_set():
                    self._reregister.clear()
                    await self.register()
                self.obj.show(self._next_frame(slot))
                if self._registered:
                    self.stats.frames_sent += 1
                slot += 1
                waiters = [stop.wait(), self._reregister.wait()]
                tasks = [asyncio.ensure_future(w) for w in waiters]
                await asyncio.wait(tasks, timeout=self.rotate_s, return_when="FIRST_COMPLETED")
                for t in tasks:
                    t.cancel()
        finally:
            await self.close()

    async def close(self) -> None:
        """Unregister (best effort: BlueZ also drops it when our connection closes) and leave."""
        bus = self._bus
        if bus is None:
            return
        if self._registered:
            with contextlib.suppress(Exception):
                await self._call("UnregisterAdvertisement", "o", [AD_PATH])
        bus.unexport(AD_PATH)
        bus.disconnect()
        self._bus = None
        self._registered = False
