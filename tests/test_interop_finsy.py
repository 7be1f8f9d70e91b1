"""Interop: finsy (a P4Runtime controller library we did not write) against omniplan-switch.

finsy's Switch does its own arbitration, pipeline push (cookie check), P4Info-name encoding and
error decoding; these tests assert the soft switch satisfies it the way BMv2/Stratum would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import finsy as fy
import pytest
from finsy.grpcutil import GRPCStatusCode

from softswitch.client import P4RuntimeClient
from softswitch.proto import p4r
from tests.test_softswitch import DEVICE, running_switch, write_demo_p4info

pytestmark = pytest.mark.interop


@pytest.fixture
def switch_addr():
    with running_switch() as addr:
        yield addr


@pytest.fixture
def p4info_file(tmp_path) -> Path:
    return write_demo_p4info(tmp_path / "demo.p4info.txtpb")


def options(p4info_file: Path, election_id: int = 10, **kw) -> fy.SwitchOptions:
    return fy.SwitchOptions(p4info=p4info_file, p4blob=b"opaque-device-config", device_id=DEVICE,
                            initial_election_id=election_id, **kw)


def fwd(mac: int, port: int, out: int) -> fy.P4TableEntry:
    return fy.P4TableEntry("fwd", match=fy.P4TableMatch({"hdr.eth.dst": mac, "std.ingress_port": port}),
                           action=fy.P4TableAction("forward", port=out))


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=20))


def test_finsy_pushes_pipeline_writes_reads_deletes(switch_addr, p4info_file):
    async def main():
        async with fy.Switch("sw", switch_addr, options(p4info_file)) as sw:
            assert sw.is_primary and sw.primary_id == 10
            await sw.insert([fwd(0x0A, 1, 2), fwd(0x0B, 1, 3)])
            got = [e async for e in sw.read(fy.P4TableEntry("fwd"))]
            assert sorted((e.match["dst"], e.action.args["port"]) for e in got) == [(0x0A, 2), (0x0B, 3)]
            await sw.modify([fwd(0x0A, 1, 4)])
            got = [e async for e in sw.read(fy.P4TableEntry("fwd", match=fy.P4TableMatch({"hdr.eth.dst": 0x0A,
                                                                                           "std.ingress_port": 1})))]
            assert [e.action.args["port"] for e in got] == [4]
            await sw.delete([fwd(0x0A, 1, 4)])
            assert len([e async for e in sw.read(fy.P4TableEntry())]) == 1
            await sw.delete_all()
            assert [e async for e in sw.read(fy.P4TableEntry())] == []
            # the pipeline finsy pushed is the one the switch reports to an independent client
            with P4RuntimeClient(switch_addr, device_id=DEVICE) as observer:
                config = observer.get_pipeline()
            assert config.p4info.pkg_info.name == "omniplan_demo"
            assert config.p4_device_config == b"opaque-device-config"
            assert config.cookie.cookie == sw.p4info.p4cookie

    run(main())


def test_finsy_sees_spec_errors(switch_addr, p4info_file):
    async def main():
        async with fy.Switch("sw", switch_addr, options(p4info_file)) as sw:
            await sw.insert([fwd(1, 1, 2)])
            with pytest.raises(fy.P4ClientError) as info:
                await sw.insert([fwd(1, 1, 2), fwd(2, 1, 2)])
            assert info.value.code == GRPCStatusCode.UNKNOWN
            assert info.value.details[0].canonical_code == GRPCStatusCode.ALREADY_EXISTS
            assert 1 not in info.value.details  # the second update succeeded
            with pytest.raises(fy.P4ClientError) as info:
                await sw.modify([fwd(9, 1, 2)])
            assert info.value.is_not_found_only
            # finsy's non-strict delete relies on the NOT_FOUND-only details convention
            await sw.write([-fwd(9, 1, 2)], strict=False)
            # finsy's Switch checks widths client-side; its bare P4Client sends what we give it,
            # so the switch's own check answers (election id 10 is finsy's primary id)
            msg = fwd(3, 1, 2).encode(sw.p4info).table_entry
            msg.action.action.params[0].value = b"\xff\xff"
            request = p4r.WriteRequest(device_id=DEVICE, election_id=p4r.Uint128(low=10), updates=[
                p4r.Update(type=p4r.Update.INSERT, entity=p4r.Entity(table_entry=msg))])
            async with fy.P4Client(switch_addr) as raw:
                with pytest.raises(fy.P4ClientError) as info:
                    await raw.request(request)
            assert info.value.details[0].canonical_code == GRPCStatusCode.OUT_OF_RANGE
            assert "9 bits" in info.value.details[0].message

    run(main())


def test_finsy_primary_backup_and_failover(switch_addr, p4info_file):
    async def main():
        low = fy.Switch("low", switch_addr, options(p4info_file, election_id=5))
        async with fy.Switch("high", switch_addr, options(p4info_file, election_id=20)) as high:
            assert high.is_primary
            async with low:
                assert not low.is_primary and low.primary_id == 20
                with pytest.raises(fy.P4ClientError) as info:
                    await low.insert([fwd(1, 1, 2)])
                assert info.value.code == GRPCStatusCode.PERMISSION_DENIED
                await high.insert([fwd(1, 1, 2)])
                assert len([e async for e in low.read(fy.P4TableEntry("fwd"))]) == 1
                await high.__aexit__(None, None, None)  # primary goes away: the backup is promoted
                for _ in range(100):
                    if low.is_primary:
                        break
                    await asyncio.sleep(0.05)
                assert low.is_primary
                await low.insert([fwd(2, 1, 2)])
                assert len([e async for e in low.read(fy.P4TableEntry("fwd"))]) == 2
                # finsy's promoted backup re-arbitrates with the old primary's id (20), so when
                # "high" comes back its id is refused as in use and it settles as backup at 19
                await high.__aenter__()
                assert low.is_primary and low.election_id == 20
                assert not high.is_primary and high.election_id == 19 and high.primary_id == 20
                with pytest.raises(fy.P4ClientError) as info:
                    await high.insert([fwd(3, 1, 2)])
                assert info.value.code == GRPCStatusCode.PERMISSION_DENIED

    run(main())


def test_finsy_packet_in_and_out_with_the_inml_pipeline(tmp_path):
    """finsy pushes inml.p4's P4Info, punts a frame to itself and sends one out of a port."""
    pytest.importorskip("p4src.pipeline", reason="the inml.p4 pipeline twin is not available")
    from softswitch.embedded import EmbeddedSwitch

    p4info = Path(__file__).resolve().parents[1] / "p4src" / "inml.p4info.txtpb"
    punt = bytes.fromhex("02000000cafe") + bytes.fromhex("020000000001") + b"\x08\x00" + b"punted".ljust(46, b".")
    out = bytes.fromhex("020000000002") + bytes.fromhex("020000000001") + b"\x08\x00" + b"sent".ljust(46, b".")

    async def main(e: EmbeddedSwitch):
        # finsy pushes the pipeline only when it has a device config ("authoritative" P4Info)
        opts = fy.SwitchOptions(p4info=p4info, p4blob=b"inml: any device config", device_id=0,
                                initial_election_id=10)
        async with fy.Switch("sw", e.address, opts) as sw:
            await sw.insert([fy.P4TableEntry("l2_fwd", match=fy.P4TableMatch(dstAddr=0x02000000CAFE),
                                             action=fy.P4TableAction("send_to_cpu"))])
            packets = sw.read_packets()
            waiter = asyncio.ensure_future(packets.__anext__())
            await asyncio.sleep(0.05)
            await asyncio.to_thread(e.inject, 6, punt)
            pkt = await asyncio.wait_for(waiter, 5)
            assert pkt.payload == punt and pkt["ingress_port"] == 6
            await sw.write([fy.P4PacketOut(out, egress_port=3, _pad=0)])
            for _ in range(100):
                got = await asyncio.to_thread(e.collect, 3)
                if got:
                    return got
                await asyncio.sleep(0.02)
            return []

    with EmbeddedSwitch(device_id=0) as e:
        assert run(main(e)) == [out]
