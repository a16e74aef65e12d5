"""The watchdog shell with fakes: reference beacon, passive mode, counters kept across the exit,
and ``run`` ending with a non-zero exit decision that the heartbeat reports."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx2

from beacon_gateway.adapter import AdapterError
from beacon_gateway.advert import FEAA, Advertisement
from beacon_gateway.clock import ManualClock, SystemClock
from beacon_gateway.config import ScanConfig, config_from_mapping
from beacon_gateway.runtime import run_gateway
from beacon_gateway.scan_watchdog import EXIT_STALLED, ScanWatchdog
from beacon_gateway.stall_ladder import Action
from eddystone import build_uid
from tests.gateway.test_gateway_runtime import FakeScanner
from tests.gateway.upload_support import Crm

REF = "00112233445566778899:000000000001"


class FakeAdapter:
    def __init__(self, discovering: bool = True, fail: bool = False) -> None:
        self.is_discovering = discovering
        self.fail = fail
        self.cycles = 0
        self.closed = False

    async def discovering(self) -> bool:
        if self.fail:
            raise AdapterError("Get on /org/bluez/hci0: org.freedesktop.DBus.Error.ServiceUnknown")
        return self.is_discovering

    async def power_cycle(self) -> None:
        self.cycles += 1

    async def close(self) -> None:
        self.closed = True


class FakeScan:
    def __init__(self) -> None:
        self.recoveries = 0

    async def recover(self) -> bool:
        self.recoveries += 1
        return True


def _shell(
    scan: ScanConfig, adapter: FakeAdapter, clock: ManualClock, tmp: Path | None = None
) -> tuple[ScanWatchdog, FakeScan, list[int]]:
    scanner = FakeScan()
    exits: list[int] = []
    shell = ScanWatchdog(
        scan,
        adapter,
        lambda: scanner,  # type: ignore[arg-type,return-value]
        clock,
        exits.append,
        state_file=None if tmp is None else tmp / "watchdog.json",
    )
    return shell, scanner, exits


def _ref_advert(t: float, instance: str = "000000000001") -> Advertisement:
    frame = build_uid(-18, bytes.fromhex("00112233445566778899"), bytes.fromhex(instance))
    return Advertisement(t=t, address="AA:BB:CC:DD:EE:FF", rssi=-70, service_data={FEAA: frame})


async def test_a_quiet_site_is_no_stall_but_a_silent_reference_beacon_is() -> None:
    clock = ManualClock(1000.0)
    quiet, _, _ = _shell(ScanConfig(watchdog_silence_s=30), FakeAdapter(), clock)
    for t in range(1000, 1000 + 8 * 3600, 60):  # a night with nothing heard at all
        clock.set(t)
        assert await quiet.check() is Action.NONE
    assert quiet.counters()["stalls"] == 0

    clock = ManualClock(1000.0)
    scan = ScanConfig(watchdog_silence_s=30, reference_beacon=REF)
    shell, scanner, _ = _shell(scan, FakeAdapter(), clock)
    shell.note(_ref_advert(1000.0, instance="000000000002"))  # another beacon: not the reference
    shell.note(_ref_advert(1010.0))
    assert shell.last_reference_at == 1010.0
    clock.set(1035.0)
    assert await shell.check() is Action.NONE
    clock.set(1041.0)
    assert await shell.check() is Action.RESTART_SCAN
    assert scanner.recoveries == 1
    assert shell.counters()["scan_restarts"] == 1


async def test_passive_mode_ignores_discovering_and_probe_errors_count_as_stalls() -> None:
    clock = ManualClock(0.0)
    adapter = FakeAdapter(discovering=False)
    shell, _, _ = _shell(ScanConfig(mode="passive", watchdog_silence_s=5), adapter, clock)
    for t in range(0, 120, 5):
        clock.set(t)
        assert await shell.check() is Action.NONE, "passive scanning has no discovery session"

    clock = ManualClock(0.0)
    broken = FakeAdapter(fail=True)
    shell, scanner, _ = _shell(ScanConfig(watchdog_silence_s=5), broken, clock)
    actions = []
    for t in range(0, 60, 1):
        clock.set(t)
        actions.append(await shell.check())
    assert [a for a in actions if a is not Action.NONE][:2] == [
        Action.RESTART_SCAN,
        Action.RESET_ADAPTER,
    ]
    assert shell.counters()["probe_errors"] >= 10
    assert broken.cycles == 1 and scanner.recoveries == 2


async def test_counters_are_saved_before_the_exit_and_read_back(tmp_path: Path) -> None:
    clock = ManualClock(0.0)
    shell, _, exits = _shell(
        ScanConfig(watchdog_silence_s=2), FakeAdapter(discovering=False), clock, tmp_path
    )
    t = 0.0
    while not exits:
        t += 0.5
        clock.set(t)
        await shell.check()
        assert t < 60
    assert exits == [EXIT_STALLED]
    again, _, _ = _shell(ScanConfig(), FakeAdapter(), ManualClock(0.0), tmp_path)
    assert again.counters() == {
        "stalls": 1,
        "scan_restarts": 1,
        "adapter_resets": 1,
        "exits": 1,
        "step_failures": 0,
        "probe_errors": 0,
    }
    (tmp_path / "watchdog.json").write_text("{not json")
    broken, _, _ = _shell(ScanConfig(), FakeAdapter(), ManualClock(0.0), tmp_path)
    assert broken.counters()["exits"] == 0, "a damaged file is ignored, not fatal"


async def test_run_stops_with_the_exit_code_and_heartbeats_carry_int_counters(
    tmp_path: Path,
) -> None:
    crm = Crm(config_status=404)
    cfg = config_from_mapping(
        {
            "gateway": {"id": "zoo-1", "data_dir": str(tmp_path)},
            "scan": {"restart_interval_s": 5.0, "watchdog_silence_s": 0.2},
            "presence": {"dwell_interval_s": 0.5, "exit_timeout_s": 6.0},
            "upload": {"interval_s": 0.1},
        }
    )
    adapter = FakeAdapter(discovering=False)  # BlueZ lost discovery and never gets it back
    # the fake card's 20 reports (its own clock is unused: this gateway runs on the system's)
    FakeScanner.clock, FakeScanner.reports = ManualClock(time.time()), 0
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(20.0, stop.set)  # a bound, should the exit not come
    result = await run_gateway(
        cfg,
        "tok",
        clock=SystemClock(synchronized=lambda: True),
        scanner_factory=FakeScanner,
        transport=httpx2.MockTransport(crm),
        stop=stop,
        heartbeat_interval_s=0.1,
        adapter=adapter,
        watchdog_check_s=0.05,
    )
    assert result["watchdog_exit"] == EXIT_STALLED
    assert result["watchdog"]["scan_restarts"] == 1
    assert result["watchdog"]["adapter_resets"] == 1
    assert result["watchdog"]["exits"] == 1
    assert adapter.cycles == 1 and adapter.closed
    assert result["events"]["enter"] == 1 and result["events"]["exit"] == 1, "closed cleanly"
    reported = [b["watchdog"] for b in crm.heartbeats]
    assert any(w["scan_restarts"] == 1 for w in reported)
    assert all(isinstance(v, int) and not isinstance(v, bool) for w in reported for v in w.values())
