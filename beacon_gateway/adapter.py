"""One BlueZ adapter's ``org.bluez.Adapter1`` over D-Bus (dbus-fast): what the watchdog needs.

The watchdog asks the adapter itself whether it is discovering (``Discovering``) rather than
inferring a stall from silence, and power-cycles it (``Powered`` false → true) as its second
recovery step. This talks to bluetoothd over its own system-bus connection, separate from
bleak's, so a wedged scanner cannot block the probe. The connection is made lazily and dropped
after any error (bluetoothd restarted, bus gone): the next call connects again.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from dbus_fast import BusType, Message, MessageType, Variant
from dbus_fast.aio import MessageBus

__all__ = ["AdapterError", "AdapterProbe", "BluezAdapter"]

ADAPTER_IFACE = "org.bluez.Adapter1"
PROPERTIES_IFACE = "org.freedesktop.DBus.Properties"


class AdapterError(RuntimeError):
    """BlueZ did not answer, or refused; the message says which call and why."""


class AdapterProbe(Protocol):
    """What the watchdog shell needs from an adapter (a seam for tests)."""

    async def discovering(self) -> bool:
        """Whether BlueZ says the adapter is discovering (``AdapterError`` if unknown)."""
        ...

    async def power_cycle(self) -> None:
        """Power the adapter off and on again (``AdapterError`` if BlueZ refuses)."""
        ...

    async def close(self) -> None:
        """Drop the D-Bus connection."""
        ...


class BluezAdapter:
    """``/org/bluez/<adapter>`` on the system bus (``DBUS_SYSTEM_BUS_ADDRESS`` is honoured)."""

    def __init__(self, adapter: str = "hci0", *, off_s: float = 1.0, timeout_s: float = 10.0):
        self.path = f"/org/bluez/{adapter}"
        self.off_s = off_s
        self.timeout_s = timeout_s
        self._bus: MessageBus | None = None

    async def _call(self, member: str, signature: str, body: list[Any]) -> Message:
        try:
            if self._bus is None:
                self._bus = await asyncio.wait_for(
                    MessageBus(bus_type=BusType.SYSTEM).connect(), self.timeout_s
                )
            reply = await asyncio.wait_for(
                self._bus.call(
                    Message(
                        destination="org.bluez",
                        path=self.path,
                        interface=PROPERTIES_IFACE,
                        member=member,
                        signature=signature,
                        body=body,
                    )
                ),
                self.timeout_s,
            )
        except (OSError, TimeoutError, EOFError, ValueError) as exc:  # no bus, bus went away
            await self.close()
            raise AdapterError(f"{member} on {self.path}: {type(exc).__name__}: {exc}") from exc
        if reply is None or reply.message_type == MessageType.ERROR:
            detail = "no reply" if reply is None else f"{reply.error_name}: {reply.body}"
            raise AdapterError(f"{member} on {self.path}: {detail}")
        return reply

    async def _get(self, name: str) -> Any:
        reply = await self._call("Get", "ss", [ADAPTER_IFACE, name])
        return reply.body[0].value

    async def _set(self, name: str, value: Variant) -> None:
        await self._call("Set", "ssv", [ADAPTER_IFACE, name, value])

    async def discovering(self) -> bool:
        """``Adapter1.Discovering``."""
        return bool(await self._get("Discovering"))

    async def powered(self) -> bool:
        """``Adapter1.Powered``."""
        return bool(await self._get("Powered"))

    async def power_cycle(self) -> None:
        """``Powered`` false, a pause for the controller, then true."""
        await self._set("Powered", Variant("b", False))
        await asyncio.sleep(self.off_s)
        await self._set("Powered", Variant("b", True))

    async def close(self) -> None:
        """Drop the connection (the next call reconnects)."""
        bus, self._bus = self._bus, None
        if bus is not None:
            bus.disconnect()
