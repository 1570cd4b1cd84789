"""A resident ID card reader on a pty: answers the host's commands like the real one.

A responder thread decodes the host's command frames and answers from the
simulated state: which card is on the reader, whether it has been read since
it was placed (real readers then stop finding it until it is lifted and
placed again), and the scripted faults (silence, garbage, unplug).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from drivers.idcard.codec import (
    PHOTO_LEN,
    Command,
    CommandDecoder,
    Op,
    Status,
    encode_base_data,
    encode_response,
    encode_text,
)
from drivers.identity import mask_name
from drivers.readers import DeviceSim, synthetic_id_number
from drivers.sim.pty import PtyPortError


@dataclass(frozen=True, slots=True)
class SimCard:
    """What the simulated chip holds. Use synthetic numbers only."""

    id_number: str = field(repr=False)
    name: str = field(repr=False)
    sex: str = "1"
    nation: str = "01"
    birth: str = "19900101"
    address: str = "测试市测试路1号"
    authority: str = "测试市公安局"
    valid_from: str = "20200101"
    valid_to: str = "20400101"


class IdCardReaderSim(DeviceSim):
    """Place and remove cards; the simulated reader answers the SAM commands.

    ``halt_after_read`` mimics readers that stop finding a card once it has
    been read, until it leaves the field; with ``False`` the card keeps
    being found, as on readers that do not halt it.
    """

    def __init__(
        self,
        link_path: str | os.PathLike[str],
        *,
        halt_after_read: bool = True,
        seed: int | None = None,
    ) -> None:
        super().__init__(link_path, seed=seed)
        self.halt_after_read = halt_after_read
        self.card: SimCard | None = None
        self.read_status: int = Status.OK
        """SW3 for READ_BASE: set e.g. ``Status.READ_FAILED`` to script a bad read."""
        self.reader_fault: int | None = None
        """An SW3 such as ``Status.SELF_TEST_FAILED`` answered to every command."""
        self.commands: list[Command] = []
        self._halted = False
        self._decoder = CommandDecoder()
        self._state_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="id-reader-sim", daemon=True)
        self._thread.start()

    def place(self, number: str, name: str, **fields: str) -> SimCard:
        """Put a card on the reader (``fields``: the other :class:`SimCard` fields)."""
        card = SimCard(id_number=number, name=name, **fields)
        with self._state_lock:
            self.card = card
            self._halted = False
        return card

    def remove(self) -> None:
        """Lift the card off the reader."""
        with self._state_lock:
            self.card = None
            self._halted = False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        super().close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:  # an unplug must not close the fd under a read
                    data = self.port.read(0.02)
            except (PtyPortError, OSError, ValueError):
                self._decoder.reset()
                self._stop.wait(0.02)  # unplugged: nobody to answer
                continue
            if not data:
                continue
            for msg in self._decoder.feed(data):
                if isinstance(msg, Command):
                    self.commands.append(msg)
                    reply = self.answer(msg)
                else:
                    reply = encode_response(Status.RX_CHECKSUM)
                try:
                    self.send(reply)
                except (PtyPortError, OSError):
                    break

    def answer(self, cmd: Command) -> bytes:
        """The reader's reply to one command, from the simulated state."""
        op = cmd.op
        if self.reader_fault is not None:
            return encode_response(self.reader_fault)
        with self._state_lock:
            card = self.card
            if op is Op.FIND_CARD:
                if card is None or self._halted:
                    return encode_response(Status.FIND_FAILED)
                return encode_response(Status.CARD_FOUND, bytes(4))
            if op is Op.SELECT_CARD:
                if card is None:
                    return encode_response(Status.SELECT_FAILED)
                return encode_response(Status.OK, bytes(8))
            if op is Op.READ_BASE:
                if card is None:
                    return encode_response(Status.READ_FAILED)
                if self.read_status != Status.OK:
                    return encode_response(self.read_status)
                if self.halt_after_read:
                    self._halted = True
                text = encode_text(
                    name=card.name,
                    sex=card.sex,
                    nation=card.nation,
                    birth=card.birth,
                    address=card.address,
                    id_number=card.id_number,
                    authority=card.authority,
                    valid_from=card.valid_from,
                    valid_to=card.valid_to,
                )
                photo = bytes([0x57, 0x4C]) + self._rng.randbytes(PHOTO_LEN - 2)
                return encode_response(Status.OK, encode_base_data(text, photo))
            if op in (Op.SAM_STATUS, Op.RESET_SAM):
                return encode_response(Status.OK)
            if op is Op.SAM_ID:
                return encode_response(Status.OK, bytes(16))
        return encode_response(Status.BAD_COMMAND)

    def device_command(self, verb: str, args: list[str]) -> str:
        """``place [name]`` (a fresh synthetic card), ``remove``, ``fail`` (next reads fail)."""
        if verb == "place":
            name = args[0] if args else "测试"
            self.place(synthetic_id_number(self._rng), name)
            return f"placed an ID card for {mask_name(name)}"
        if verb == "remove":
            self.remove()
            return "card removed"
        if verb == "fail":
            self.read_status = Status.READ_FAILED
            return "reads will fail (wake to restore)"
        return super().device_command(verb, args)

    def resume(self) -> None:
        self.read_status = Status.OK
        super().resume()
