"""python-dbusmock's BlueZ on a private system bus, and typed devices for bleak to see.

Shared by the BlueZ tests: the ``bluez`` fixture (a private bus, the ``bluez5`` template, an
adapter ``hci0``; yields a dbus-python connection to drive it) and helpers that add devices and
push advertisements, and the gateway's commands run in a subprocess against it (``start``,
``reaped``, ``wait_for``). Devices are added with ``AddObject`` + a hand-made ``InterfacesAdded``,
because the template's ``AddDevice`` types ``ManufacturerData`` as a list, which bleak rejects.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dbus
import dbus.bus
import pytest

FEAA = "0000feaa-0000-1000-8000-00805f9b34fb"
ADAPTER = "/org/bluez/hci0"
MOCK = "org.freedesktop.DBus.Mock"


@contextlib.contextmanager
def _private_system_bus() -> Iterator[Any]:
    """A private system bus, named by DBUS_SYSTEM_BUS_ADDRESS while it runs (for this process
    and its children, so a ``python -m beacon_gateway`` started by a test talks to it too)."""
    if shutil.which("dbus-daemon") is None:
        pytest.fail("dbus-daemon is missing: apt-get install dbus (never skipped silently)")
    from dbusmock.testcase import BusType, PrivateDBus

    old = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
    try:
        with PrivateDBus(BusType.SYSTEM) as bus:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
            yield bus
    finally:
        if old is None:
            os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = old


@pytest.fixture
def bluez() -> Iterator[Any]:
    """A private system bus with BlueZ mocked (adapter hci0); yields a connection to it."""
    from dbusmock.testcase import BusType, SpawnedMock

    with (
        _private_system_bus() as bus,
        SpawnedMock.spawn_with_template("bluez5", {}, bustype=BusType.SYSTEM) as server,
    ):
        server.obj.AddAdapter("hci0", "gw", dbus_interface="org.bluez.Mock")
        conn = dbus.bus.BusConnection(bus.address)
        yield conn
        conn.close()


@pytest.fixture
def no_bluez() -> Iterator[str]:
    """A private system bus on which no BlueZ answers (a Pi with Bluetooth off or missing).
    Yields its address."""
    with _private_system_bus() as bus:
        yield bus.address


def _service_data(frame: bytes) -> Any:
    return dbus.Dictionary({FEAA: dbus.Array(frame, signature="y")}, signature="sv")


def _manufacturer_data(data: Mapping[int, bytes]) -> Any:
    return dbus.Dictionary(
        {dbus.UInt16(k): dbus.Array(v, signature="y") for k, v in data.items()}, signature="qv"
    )


def device_props(
    address: str,
    rssi: int,
    frame: bytes | None,
    *,
    manufacturer_data: Mapping[int, bytes] | None = None,
    name: str | None = None,
    tx_power: int | None = None,
) -> Any:
    """Device1 properties as real BlueZ types them (``frame``: 0xFEAA service data, or none)."""
    props: dict[str, Any] = {
        "Address": dbus.String(address),
        # the dashed address as alias: bleak reports no name, as with real BlueZ
        "Alias": dbus.String(name or address.replace(":", "-")),
        "Adapter": dbus.ObjectPath(ADAPTER),
        "AddressType": dbus.String("random"),
        "RSSI": dbus.Int16(rssi),
        "UUIDs": dbus.Array([FEAA] if frame is not None else [], signature="s"),
        "ServiceData": _service_data(frame)
        if frame is not None
        else dbus.Dictionary({}, signature="sv"),
        "ManufacturerData": _manufacturer_data(manufacturer_data or {}),
        "Paired": dbus.Boolean(False),
        "Connected": dbus.Boolean(False),
    }
    if name is not None:
        props["Name"] = dbus.String(name)
    if tx_power is not None:
        props["TxPower"] = dbus.Int16(tx_power)
    return dbus.Dictionary(props, signature="sv")


def add_device(
    conn: Any,
    address: str,
    rssi: int,
    frame: bytes | None,
    **extra: Any,
) -> Any:
    """Add a device under hci0 and announce it (``extra``: see :func:`device_props`)."""
    path = f"{ADAPTER}/dev_{address.replace(':', '_')}"
    root = conn.get_object("org.bluez", "/")
    props = device_props(address, rssi, frame, **extra)
    root.AddObject(path, "org.bluez.Device1", props, [], dbus_interface=MOCK)
    root.EmitSignal(
        "org.freedesktop.DBus.ObjectManager",
        "InterfacesAdded",
        "oa{sa{sv}}",
        [dbus.ObjectPath(path), dbus.Dictionary({"org.bluez.Device1": props}, signature="sa{sv}")],
        dbus_interface=MOCK,
    )
    return conn.get_object("org.bluez", path)


def push(device: Any, rssi: int, frame: bytes) -> None:
    """A fresh advertisement report: new RSSI and 0xFEAA service data."""
    device.UpdateProperties(
        "org.bluez.Device1",
        dbus.Dictionary(
            {"RSSI": dbus.Int16(rssi), "ServiceData": _service_data(frame)}, signature="sv"
        ),
        dbus_interface=MOCK,
    )


def push_rssi(device: Any, rssi: int) -> None:
    """A fresh advertisement report that changes only the RSSI."""
    device.UpdateProperties(
        "org.bluez.Device1",
        dbus.Dictionary({"RSSI": dbus.Int16(rssi)}, signature="sv"),
        dbus_interface=MOCK,
    )


def adapter_property(conn: Any, interface: str, name: str) -> Any:
    """A property of hci0 (``org.bluez.Adapter1``, ``org.bluez.LEAdvertisingManager1``...)."""
    adapter = conn.get_object("org.bluez", ADAPTER)
    return adapter.Get(interface, name, dbus_interface=dbus.PROPERTIES_IFACE)


# --- the gateway's commands, run against the mock ------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = [sys.executable, "-m", "beacon_gateway"]


def start(*args: str) -> subprocess.Popen[str]:
    """``beacon-gateway ARGS`` in a subprocess; a wide console so rich never wraps a row."""
    return subprocess.Popen(
        [*GATEWAY, *args],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "400"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextlib.contextmanager
def reaped(proc: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """``proc``, killed (its pipes drained) if it still runs when the block ends."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def wait_for(proc: subprocess.Popen[str], what: str, check: Callable[[], bool]) -> None:
    """Poll ``check`` while the command runs (fails with its output if it exits first)."""
    deadline = time.monotonic() + 30
    while not check():
        assert proc.poll() is None, f"exited before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.05)


def method_calls(conn: Any, method: str) -> list[list[Any]]:
    """The arguments of every call of ``method`` on hci0 the mock has recorded."""
    adapter = conn.get_object("org.bluez", ADAPTER)
    return [list(args) for _, args in adapter.GetMethodCalls(method, dbus_interface=MOCK)]


def wait_for_discovery(conn: Any, proc: subprocess.Popen[str]) -> None:
    """Until the command's bleak scanner has started discovery on hci0."""
    wait_for(proc, "discovery", lambda: bool(method_calls(conn, "StartDiscovery")))
