"""The counter bus vocabulary as tables: commands, kinds, events, errors, status.

PROTOCOL.md shows the same tables for people; the code interprets these.
Command numbers: bit 7 clear = host to device, bit 7 set = device to host.
Blocks: 0x0_ common, 0x1_ bootloader, 0x2_ keypad, 0x3_ rating pad,
0x4_ counter LED strip, 0x5_ hall display.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

HOST_ADDR = 0x00  # never a device address; reserved
BROADCAST_ADDR = 0xFF  # all devices act, none answer
MIN_DEVICE_ADDR = 0x01
MAX_DEVICE_ADDR = 0xF7  # 0xF8-0xFE reserved
FROM_DEVICE = 0x80


class Cmd(IntEnum):
    """Frame command byte."""

    # common, host -> device
    PING = 0x01  # -> IDENT
    POLL = 0x02  # payload [ack_seq]; -> EVENT (oldest unacknowledged) or ACK
    EVT_ACK = 0x03  # payload [event_seq]; no reply (report mode)
    SET_ADDRESS = 0x04  # payload [new_addr, serial...]; -> ACK from the old address
    CONFIG = 0x05  # payload [flags: ConfigFlag]; -> ACK
    # bootloader, host -> device
    ENTER_BOOT = 0x10  # -> ACK, device now in its bootloader
    BOOT_BEGIN = 0x11  # payload image header (24 bytes); -> ACK or NAK
    BOOT_WRITE = 0x12  # payload [offset u32 LE, block]; -> ACK [next offset u32 LE]
    BOOT_VERIFY = 0x13  # -> ACK [crc32 u32 LE of what was written] or NAK BAD_CRC
    BOOT_RUN = 0x14  # -> ACK, device runs the new application
    # keypad
    KEYPAD_BEEP = 0x20  # payload [BeepPattern]
    KEYPAD_LEDS = 0x21  # payload [KeypadLed mask]
    KEYPAD_TEXT = 0x22  # payload GB18030 text, at most 32 bytes
    # rating pad
    RATING_PROMPT = 0x30  # payload [on 0/1, timeout_s]
    # counter LED strip
    STRIP_SHOW = 0x40  # payload [TextEffect flags, speed, GB18030 text]
    STRIP_BRIGHTNESS = 0x41  # payload [level 0-15]
    STRIP_CLEAR = 0x42
    # hall display
    HALL_ZONE = 0x50  # payload [zone, TextEffect flags, GB18030 text]
    HALL_BRIGHTNESS = 0x51  # payload [level 0-15]
    HALL_CLEAR = 0x52
    # device -> host
    ACK = 0x80  # payload depends on the command acknowledged
    NAK = 0x81  # payload [ErrorCode]
    IDENT = 0x82  # reply to PING, see drivers.bus.messages.Ident
    EVENT = 0x83  # payload [event_seq, EventType, data...]


class DeviceKind(IntEnum):
    """What a device is; firmware images carry it so a wrong image is refused."""

    KEYPAD = 0x01
    RATING_PAD = 0x02
    LED_STRIP = 0x03
    HALL_DISPLAY = 0x04


class EventType(IntEnum):
    """Second byte of an EVENT payload."""

    KEY = 0x01  # [Key]
    RATING = 0x02  # [value 1..5, reason 0 = none]
    POWER_UP = 0x03  # [] the device (re)started


class ErrorCode(IntEnum):
    """NAK payload: why the device refused."""

    BAD_CMD = 0x01  # unknown command for this device kind
    BAD_LENGTH = 0x02  # payload too short or too long for the command
    BAD_ARG = 0x03  # a field out of range
    BUSY = 0x04  # try again later
    WRONG_KIND = 0x05  # firmware image is for another device kind
    BAD_OFFSET = 0x06  # BOOT_WRITE not at the next expected offset
    BAD_CRC = 0x07  # BOOT_VERIFY: written image does not match its header
    NOT_VERIFIED = 0x08  # BOOT_RUN before a successful BOOT_VERIFY
    NOT_IN_BOOT = 0x09  # a BOOT_* command while the application runs
    IN_BOOT = 0x0A  # an application command while in the bootloader
    TEXT_TOO_LONG = 0x0B  # text does not fit the display
    FLASH_FAILED = 0x0C  # the flash write itself failed
    BAD_HEADER = 0x0D  # BOOT_BEGIN header unreadable (magic, length)


class Status(IntFlag):
    """Status byte in IDENT: the state of the device the host must react to."""

    NONE = 0
    IN_BOOT = 0x01  # running its bootloader, no application
    EVENTS_PENDING = 0x02  # has events not yet acknowledged
    FRESH_BOOT = 0x04  # restarted since the last CONFIG: host must configure it
    FAULT = 0x08  # a hardware fault (stuck key, dead LED row)
    REPORTING = 0x10  # sends events without being polled


class ConfigFlag(IntFlag):
    """CONFIG payload."""

    NONE = 0
    REPORT_EVENTS = 0x01  # send EVENT frames unsolicited instead of waiting for POLL


class TextEffect(IntFlag):
    """How an LED shows a text."""

    NONE = 0
    SCROLL = 0x01
    BLINK = 0x02
