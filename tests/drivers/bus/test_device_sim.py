"""Device-side logic without a port: bootloader, address change, retries, events."""

from __future__ import annotations

from drivers.bus.codes import ConfigFlag, DeviceKind, ErrorCode, Status
from drivers.bus.crc import crc32
from drivers.bus.firmware import FirmwareImage
from drivers.bus.messages import (
    Ack,
    BootBegin,
    BootRun,
    BootVerify,
    BootWrite,
    Config,
    EnterBoot,
    EvtAck,
    Ident,
    KeyEvent,
    KeypadBeep,
    Message,
    Nak,
    Ping,
    Poll,
    PowerUpEvent,
    SetAddress,
)
from drivers.keypad.codes import BeepPattern, Key
from drivers.keypad.sim import KeypadSim

IMAGE = FirmwareImage(DeviceKind.KEYPAD, (2, 0, 0), bytes(range(256)) * 2)


class Host:
    """Drives one device the way the bus shell does, with fresh sequence numbers."""

    def __init__(self, dev: KeypadSim) -> None:
        self.dev = dev
        self.seq = 0

    def send(self, msg: Message, *, seq: int | None = None) -> Message | None:
        if seq is None:
            self.seq += 1
            seq = self.seq
        return self.dev.handle(self.dev.addr, seq, msg, msg.payload())

    def flash_until(self, stop_at: int | None = None) -> None:
        assert self.send(EnterBoot()) == Ack()
        assert self.send(BootBegin(IMAGE.header.build())) == Ack()
        for off in range(0, len(IMAGE.payload), 128):
            if stop_at is not None and off >= stop_at:
                return
            reply = self.send(BootWrite(off, IMAGE.payload[off : off + 128]))
            assert reply == Ack((off + 128).to_bytes(4, "little"))


def test_full_update_runs_new_version() -> None:
    dev = KeypadSim(1)
    host = Host(dev)
    host.flash_until()
    assert host.send(BootVerify()) == Ack(crc32(IMAGE.payload).to_bytes(4, "little"))
    assert host.send(BootRun()) == Ack()
    ident = host.send(Ping())
    assert isinstance(ident, Ident)
    assert ident.version == (2, 0, 0) and not ident.status & Status.IN_BOOT


def test_wrong_kind_refused_before_erase() -> None:
    dev = KeypadSim(1)
    host = Host(dev)
    host.send(EnterBoot())
    other = FirmwareImage(DeviceKind.HALL_DISPLAY, (1, 0, 0), b"x" * 10)
    assert host.send(BootBegin(other.header.build())) == Nak(ErrorCode.WRONG_KIND)
    assert dev.flash.app_valid  # nothing erased


def test_interrupted_update_stays_in_bootloader_across_power_cut() -> None:
    dev = KeypadSim(1)
    host = Host(dev)
    host.flash_until(stop_at=256)
    assert host.send(BootRun()) == Nak(ErrorCode.NOT_VERIFIED)
    dev.power_cycle()
    ident = host.send(Ping())
    assert isinstance(ident, Ident) and ident.status & Status.IN_BOOT
    assert ident.version == (0, 0, 0)
    assert host.send(KeypadBeep(BeepPattern.SHORT)) == Nak(ErrorCode.IN_BOOT)
    assert not dev.press(Key.CALL)  # no application, no keys
    # a complete, verified transfer brings it back
    host.flash_until()
    assert host.send(BootVerify()) is not None
    assert host.send(BootRun()) == Ack()
    assert host.send(KeypadBeep(BeepPattern.SHORT)) == Ack()


def test_verify_fails_on_short_image_and_out_of_order_block() -> None:
    dev = KeypadSim(1)
    host = Host(dev)
    host.flash_until(stop_at=128)
    assert host.send(BootWrite(256, b"\x00" * 128)) == Nak(ErrorCode.BAD_OFFSET)
    assert host.send(BootVerify()) == Nak(ErrorCode.BAD_CRC)


def test_fail_flash_at_is_one_shot() -> None:
    dev = KeypadSim(1)
    dev.fail_flash_at = 200
    host = Host(dev)
    host.send(EnterBoot())
    host.send(BootBegin(IMAGE.header.build()))
    assert host.send(BootWrite(0, IMAGE.payload[:128])) == Ack((128).to_bytes(4, "little"))
    assert host.send(BootWrite(128, IMAGE.payload[128:256])) == Nak(ErrorCode.FLASH_FAILED)
    assert host.send(BootWrite(128, IMAGE.payload[128:256])) == Ack((256).to_bytes(4, "little"))


def test_boot_commands_need_the_bootloader() -> None:
    host = Host(KeypadSim(1))
    assert host.send(BootBegin(IMAGE.header.build())) == Nak(ErrorCode.NOT_IN_BOOT)


def test_retried_request_acts_once() -> None:
    dev = KeypadSim(1)
    host = Host(dev)
    assert host.send(KeypadBeep(BeepPattern.DOUBLE), seq=40) == Ack()
    assert host.send(KeypadBeep(BeepPattern.DOUBLE), seq=40) == Ack()
    assert dev.beeps == [BeepPattern.DOUBLE]
    host.send(KeypadBeep(BeepPattern.DOUBLE), seq=41)
    assert dev.beeps == [BeepPattern.DOUBLE] * 2


def test_set_address_with_serial_only_moves_that_device() -> None:
    dev = KeypadSim(1, serial="KP-A")
    host = Host(dev)
    assert host.send(SetAddress(9, "KP-B")) is None
    assert dev.addr == 1
    assert host.send(SetAddress(0xF9)) == Nak(ErrorCode.BAD_ARG)
    assert host.send(SetAddress(9, "KP-A")) == Ack(b"\x09")
    assert dev.addr == 9
    dev.power_cycle()
    assert dev.addr == 9  # kept in flash


def test_events_queue_poll_and_ack() -> None:
    dev = KeypadSim(1)
    host = Host(dev)
    first = host.send(Poll(0))
    assert isinstance(first, PowerUpEvent) and first.seq == 1
    dev.press(Key.CALL)
    dev.press(Key.FINISH)
    ev = host.send(Poll(1))  # acks the power-up
    assert ev == KeyEvent(2, Key.CALL)
    assert host.send(Poll(0)) == KeyEvent(2, Key.CALL)  # not acked: same again
    assert host.send(Poll(2)) == KeyEvent(3, Key.FINISH)
    assert host.send(Poll(3)) == Ack()


def test_report_mode_after_config_and_fresh_boot_flag() -> None:
    dev = KeypadSim(1)
    host = Host(dev)
    ident = host.send(Ping())
    assert isinstance(ident, Ident) and ident.status & Status.FRESH_BOOT
    assert dev.pending_event() is None  # not reporting yet
    host.send(Config(ConfigFlag.REPORT_EVENTS))
    ev = dev.pending_event()
    assert isinstance(ev, PowerUpEvent)
    host.send(EvtAck(ev.seq))
    assert dev.pending_event() is None
    ident = host.send(Ping())
    assert isinstance(ident, Ident)
    assert ident.status & Status.REPORTING and not ident.status & Status.FRESH_BOOT


def test_corrupted_block_fails_verify_and_cannot_run() -> None:
    dev = KeypadSim(1)
    host = Host(dev)
    host.send(EnterBoot())
    host.send(BootBegin(IMAGE.header.build()))
    bad = bytearray(IMAGE.payload)
    bad[300] ^= 0x01  # one bit flipped on the way
    for off in range(0, len(bad), 128):
        host.send(BootWrite(off, bytes(bad[off : off + 128])))
    assert host.send(BootVerify()) == Nak(ErrorCode.BAD_CRC)
    assert host.send(BootRun()) == Nak(ErrorCode.NOT_VERIFIED)
    ident = host.send(Ping())
    assert isinstance(ident, Ident) and ident.status & Status.IN_BOOT
