"""Every decoder in ``drivers`` that reads bytes from a device, for fuzzing.

The test suite feeds each one at least 100,000 random and mutated frames, and
``bench/drivers.py`` a million; a decoder may raise only ``DriverError``
(its way of saying "bad frame"), never anything else, and must not hang.

To add a codec, append a ``FuzzCodec`` to ``CODECS``:

- ``name``: short and unique (``"bus.frame"``, ``"printer.status"``);
- ``make_decoder``: builds a fresh decoder, a callable taking one chunk of
  bytes (stateful stream decoders are fine: a new one per fuzz campaign);
  import your module inside it, so importing this registry stays cheap;
- ``sample_frames``: returns good wire frames to mutate (and to measure
  throughput on), covering every message kind the decoder knows.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drivers.errors import DriverError

Decoder = Callable[[bytes], object]


@dataclass(frozen=True)
class FuzzCodec:
    name: str
    make_decoder: Callable[[], Decoder]
    sample_frames: Callable[[], Sequence[bytes]]


@dataclass
class FuzzResult:
    name: str
    frames: int = 0
    rejected: int = 0  # DriverError: the decoder said "bad frame", as it should
    failures: list[str] = field(default_factory=list)  # anything else


def mutate(frame: bytes, rng: random.Random) -> bytes:
    """One random damage: flip, insert, delete, truncate, splice or duplicate."""
    data = bytearray(frame)
    op = rng.randrange(7)
    if op == 0 and data:
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    elif op == 1:
        i = rng.randrange(len(data) + 1)
        data[i:i] = rng.randbytes(rng.randint(1, 4))
    elif op == 2 and data:
        i = rng.randrange(len(data))
        del data[i : i + rng.randint(1, 4)]
    elif op == 3 and data:
        del data[rng.randrange(len(data)) :]
    elif op == 4 and data:
        data[rng.randrange(len(data))] = rng.choice((0x00, 0xFF, 0xA5, 0x02, 0x03, 0x7E))
    elif op == 5:
        data += frame[: rng.randint(0, len(frame))]
    else:
        data = bytearray(rng.randbytes(rng.randint(0, 64)))
    return bytes(data)


def fuzz(codec: FuzzCodec, count: int, seed: int = 0) -> FuzzResult:
    """Feed ``count`` mutated or random chunks; collect non-``DriverError`` failures."""
    rng = random.Random(seed)
    samples = list(codec.sample_frames()) or [b""]
    decoder = codec.make_decoder()
    result = FuzzResult(codec.name)
    for n in range(count):
        if n % 1000 == 0:
            decoder = codec.make_decoder()  # also exercise fresh state
        frame = rng.choice(samples)
        chunk = mutate(frame, rng) if rng.random() < 0.9 else frame
        result.frames += 1
        try:
            decoder(chunk)
        except DriverError:
            result.rejected += 1
        except Exception as exc:
            if len(result.failures) < 20:
                result.failures.append(f"{type(exc).__name__}: {exc} on {chunk.hex()}")
            else:
                result.failures.append("...")
    return result


def _bus_frame_decoder() -> Decoder:
    from drivers.bus.frame import decode_frame

    return decode_frame


def _bus_stream_decoder() -> Decoder:
    from drivers.bus.frame import FrameDecoder

    return FrameDecoder().feed


def _bus_samples() -> Sequence[bytes]:
    from drivers.bus.samples import sample_frames

    return sample_frames()


def _bus_message_decoder() -> Decoder:
    from drivers.bus.frame import decode_frame
    from drivers.bus.messages import decode_message

    def decode(data: bytes) -> object:
        return decode_message(decode_frame(data))

    return decode


def _bus_payload_decoder() -> Decoder:
    """Message decoding behind a valid CRC: first byte is the command, rest the payload."""
    from drivers.bus.frame import Frame
    from drivers.bus.messages import decode_message

    def decode(data: bytes) -> object:
        if not data:
            return None
        return decode_message(Frame(1, data[0], 0, data[1:]))

    return decode


def _bus_payload_samples() -> Sequence[bytes]:
    from drivers.bus.samples import sample_messages

    return [bytes((m.CMD,)) + m.payload() for m in sample_messages()]


CODECS: list[FuzzCodec] = [
    FuzzCodec("bus.frame", _bus_frame_decoder, _bus_samples),
    FuzzCodec("bus.stream", _bus_stream_decoder, _bus_samples),
    FuzzCodec("bus.message", _bus_message_decoder, _bus_samples),
    FuzzCodec("bus.payload", _bus_payload_decoder, _bus_payload_samples),
]


def _printer_status_decoder() -> Decoder:
    from drivers.printer.fuzzing import status_decoder

    return status_decoder()


def _printer_status_samples() -> Sequence[bytes]:
    from drivers.printer.fuzzing import status_samples

    return status_samples()


def _printer_stream_decoder() -> Decoder:
    from drivers.printer.fuzzing import stream_decoder

    return stream_decoder()


def _printer_stream_samples() -> Sequence[bytes]:
    from drivers.printer.fuzzing import stream_samples

    return stream_samples()


CODECS += [
    FuzzCodec("printer.status", _printer_status_decoder, _printer_status_samples),
    FuzzCodec("printer.stream", _printer_stream_decoder, _printer_stream_samples),
]


def _card_serial_decoder() -> Decoder:
    from drivers.magstripe.fuzzing import serial_decoder

    return serial_decoder()


def _card_serial_samples() -> Sequence[bytes]:
    from drivers.magstripe.fuzzing import serial_samples

    return serial_samples()


def _card_lrc_decoder() -> Decoder:
    from drivers.magstripe.fuzzing import serial_decoder

    return serial_decoder(lrc=True)


def _card_lrc_samples() -> Sequence[bytes]:
    from drivers.magstripe.fuzzing import serial_samples

    return serial_samples(lrc=True)


def _card_wedge_decoder() -> Decoder:
    from drivers.magstripe.fuzzing import wedge_decoder

    return wedge_decoder()


def _card_wedge_samples() -> Sequence[bytes]:
    from drivers.magstripe.fuzzing import wedge_samples

    return wedge_samples()


def _idcard_response_decoder() -> Decoder:
    from drivers.idcard.fuzzing import response_decoder

    return response_decoder()


def _idcard_response_samples() -> Sequence[bytes]:
    from drivers.idcard.fuzzing import response_samples

    return response_samples()


def _idcard_command_decoder() -> Decoder:
    from drivers.idcard.fuzzing import command_decoder

    return command_decoder()


def _idcard_command_samples() -> Sequence[bytes]:
    from drivers.idcard.fuzzing import command_samples

    return command_samples()


def _qr_line_decoder() -> Decoder:
    from drivers.qrscan.fuzzing import line_decoder

    return line_decoder()


def _qr_line_samples() -> Sequence[bytes]:
    from drivers.qrscan.fuzzing import line_samples

    return line_samples()


# Card, ID-card and QR readers: each decoder runs on to the keyed hash.
CODECS += [
    FuzzCodec("magstripe.serial", _card_serial_decoder, _card_serial_samples),
    FuzzCodec("magstripe.serial-lrc", _card_lrc_decoder, _card_lrc_samples),
    FuzzCodec("magstripe.wedge", _card_wedge_decoder, _card_wedge_samples),
    FuzzCodec("idcard.response", _idcard_response_decoder, _idcard_response_samples),
    FuzzCodec("idcard.command", _idcard_command_decoder, _idcard_command_samples),
    FuzzCodec("qrscan.line", _qr_line_decoder, _qr_line_samples),
]
