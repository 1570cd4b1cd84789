"""Call announcements: composed from pre-rendered clips, played one at a time.

``plan`` (pure) turns a call into an ordered list of clips and gaps: a chime,
then the call in each of the branch's languages (for example Mandarin then
English): 请 A023 号到 3 号窗口 / "Ticket A023, counter 3". ``compose`` joins
the clips into one PCM buffer, so an announcement is a single sound that
can neither overlap another nor be cut by one. ``VoiceQueue`` plays buffers
strictly in order on its own thread through a :class:`Sink` (pygame.mixer on
a branch, a WAV writer or a recorder in tests): a recall is queued like a
call, so it repeats in full after whatever is playing.

Ticket numbers are read character by character (A, 0, 2, 3: as printed);
counter numbers as a number (十二号窗口, "counter twelve", "ventanilla doce")
up to 99, character by character beyond. The clip vocabulary and how it is
rendered: ``display.lexicon`` and ``assets/voice/render.py``.
"""

from __future__ import annotations

import logging
import queue
import threading
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from display.lexicon import CHIME, LANGUAGES, SAMPLE_RATE
from lobbyq.core.errors import LobbyqError

BYTES_PER_SAMPLE = 2
WORD_GAP_MS = 50
LANG_GAP_MS = 400
CHIME_GAP_MS = 250
MAX_QUEUED = 32


class VoiceError(LobbyqError):
    """A clip library or sink problem (the display package's voice errors)."""


@dataclass(frozen=True, slots=True)
class Call:
    """What is announced: a display number called to a counter."""

    number: str
    counter: str
    recall: bool = False


@dataclass(frozen=True, slots=True)
class Clip:
    """A pre-rendered clip: ``lang`` folder (``""`` for shared ones like the chime) and name."""

    lang: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.lang}/{self.name}" if self.lang else self.name


@dataclass(frozen=True, slots=True)
class Gap:
    ms: int


Part = Clip | Gap


# ---------------------------------------------------------------- pure composition


def _chars(lang: str, text: str) -> list[Clip]:
    out = []
    for ch in text.upper():
        if ch.isdigit():
            out.append(Clip(lang, f"digit-{ch}"))
        elif "A" <= ch <= "Z":
            out.append(Clip(lang, f"letter-{ch.lower()}"))
    return out


def _number(lang: str, text: str) -> list[Clip]:
    """A counter number as the language says it; character by character above 99."""
    if not text.isdigit() or not 0 < int(text) < 100:
        return _chars(lang, text)
    n = int(text)
    tens, units = divmod(n, 10)
    d = [Clip(lang, f"digit-{i}") for i in range(10)]
    if lang in ("zh", "yue"):
        shi = Clip(lang, "word-shi")
        if n < 10:
            return [d[n]]
        head = [shi] if tens == 1 else [d[tens], shi]
        return head + ([d[units]] if units else [])
    if lang == "en":
        if n < 10:
            return [d[n]]
        if n < 20 or units == 0:
            return [Clip(lang, f"num-{n}")]
        return [Clip(lang, f"num-{tens * 10}"), d[units]]
    if lang == "es":
        if n < 10:
            return [d[n]]
        if n < 30 or units == 0:
            return [Clip(lang, f"num-{n}")]
        return [Clip(lang, f"num-{tens * 10}"), Clip(lang, "word-y"), d[units]]
    return _chars(lang, text)


def sentence(lang: str, call: Call) -> list[Clip]:
    """One language's words for a call, in speaking order."""
    if lang not in LANGUAGES:
        raise VoiceError(f"no voice for language {lang!r}; have {', '.join(LANGUAGES)}")
    ticket = _chars(lang, call.number)
    counter = _number(lang, call.counter)
    if lang in ("zh", "yue"):
        w = {k: Clip(lang, f"word-{k}") for k in ("qing", "hao", "dao", "chuangkou")}
        return [w["qing"], *ticket, w["hao"], w["dao"], *counter, w["hao"], w["chuangkou"]]
    if lang == "en":
        return [Clip(lang, "word-ticket"), *ticket, Clip(lang, "word-counter"), *counter]
    return [Clip(lang, "word-numero"), *ticket, Clip(lang, "word-ventanilla"), *counter]


def plan(call: Call, langs: Sequence[str], *, chime: bool = True) -> list[Part]:
    """Chime, then the call in each language, with gaps between words and languages."""
    parts: list[Part] = []
    if chime:
        parts += [Clip("", CHIME), Gap(CHIME_GAP_MS)]
    for i, lang in enumerate(langs):
        if i:
            parts.append(Gap(LANG_GAP_MS))
        for j, clip in enumerate(sentence(lang, call)):
            if j:
                parts.append(Gap(WORD_GAP_MS))
            parts.append(clip)
    return parts


def silence(ms: int, rate: int = SAMPLE_RATE) -> bytes:
    return b"\x00\x00" * (rate * ms // 1000)


def compose(parts: Sequence[Part], clip_pcm: Callable[[Clip], bytes]) -> bytes:
    """One PCM buffer (mono s16le at ``SAMPLE_RATE``) for a planned announcement."""
    return b"".join(silence(p.ms) if isinstance(p, Gap) else clip_pcm(p) for p in parts)


def duration_s(pcm: bytes, rate: int = SAMPLE_RATE) -> float:
    return len(pcm) / (BYTES_PER_SAMPLE * rate)


# ---------------------------------------------------------------- clip files


class ClipLibrary:
    """Reads clips from ``assets/voice`` once and keeps their PCM in memory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def path(self, clip: Clip) -> Path:
        return self.root / f"{clip.key}.wav"

    def pcm(self, clip: Clip) -> bytes:
        with self._lock:
            data = self._cache.get(clip.key)
        if data is not None:
            return data
        path = self.path(clip)
        try:
            with wave.open(str(path), "rb") as w:
                fmt = (w.getnchannels(), w.getsampwidth(), w.getframerate())
                if fmt != (1, BYTES_PER_SAMPLE, SAMPLE_RATE):
                    raise VoiceError(
                        f"{path.name}: {fmt} is not mono 16-bit {SAMPLE_RATE} Hz; "
                        "render it again with assets/voice/render.py"
                    )
                data = w.readframes(w.getnframes())
        except (OSError, wave.Error, EOFError) as exc:
            raise VoiceError(
                f"clip {clip.key} unreadable ({exc}); run assets/voice/render.py"
            ) from exc
        with self._lock:
            self._cache[clip.key] = data
        return data

    def missing(self, langs: Sequence[str]) -> list[str]:
        """Clips of these languages (and the chime) that have no file."""
        want = [Clip("", CHIME)] + [
            Clip(code, name) for code in langs for name in LANGUAGES[code].clips
        ]
        return [c.key for c in want if not self.path(c).exists()]


def default_clip_root() -> Path:
    """``assets/voice`` of this source tree (a package install sets its own path)."""
    return Path(__file__).resolve().parents[1] / "assets" / "voice"


def write_wav(path: Path, pcm: bytes, rate: int = SAMPLE_RATE) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(BYTES_PER_SAMPLE)
        w.setframerate(rate)
        w.writeframes(pcm)


# ---------------------------------------------------------------- playing


class Sink(Protocol):
    """Plays one buffer and returns only when it has finished."""

    def play(self, pcm: bytes, rate: int) -> None: ...


class RecordingSink:
    """Keeps every buffer it was given, in order (tests, and a silent display)."""

    def __init__(self) -> None:
        self.played: list[bytes] = []

    def play(self, pcm: bytes, rate: int) -> None:
        self.played.append(pcm)


class WavSink:
    """Writes each announcement to ``<folder>/<n>.wav`` (headless checks, evidence)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def play(self, pcm: bytes, rate: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        write_wav(self.folder / f"{self.count:05d}.wav", pcm, rate)


class PygameSink:
    """pygame.mixer on one channel; waits for the end of each sound.

    Works with ``SDL_AUDIODRIVER=disk`` (writes the stream to a file) or
    ``dummy`` where the machine has no sound card.
    """

    def __init__(self, wait: Callable[[float], object] | None = None) -> None:
        import pygame

        self._pg = pygame
        if not pygame.mixer.get_init():
            try:
                pygame.mixer.init(frequency=SAMPLE_RATE, size=-16, channels=1)
            except pygame.error as exc:
                # No sound card: say so plainly (SDL_AUDIODRIVER=dummy runs silent).
                raise VoiceError(f"no audio device: {exc}") from exc
        got = pygame.mixer.get_init()
        if got is None:
            raise VoiceError("pygame.mixer did not open an audio device")
        freq, _size, channels = got
        if (freq, channels) != (SAMPLE_RATE, 1):
            raise VoiceError(f"mixer opened at {freq} Hz x{channels}, need {SAMPLE_RATE} Hz mono")
        self._channel = pygame.mixer.Channel(0)
        self._done = threading.Event()
        self._wait = wait or self._done.wait

    def play(self, pcm: bytes, rate: int) -> None:
        sound = self._pg.mixer.Sound(buffer=pcm)
        self._channel.play(sound)
        # get_length is exact for a buffer we built; poll get_busy for the tail.
        self._wait(sound.get_length())
        while self._channel.get_busy():
            self._wait(0.02)

    def close(self) -> None:
        self._done.set()
        self._pg.mixer.quit()


class VoiceQueue:
    """Announcements in arrival order on one thread: never overlapping, never cut.

    ``announce`` returns at once. When more than ``MAX_QUEUED`` wait (a storm
    of calls), the oldest *waiting* one is dropped with a warning: what is
    playing always finishes.
    """

    def __init__(
        self,
        sink: Sink,
        library: ClipLibrary,
        langs: Sequence[str] = ("zh", "en"),
        *,
        chime: bool = True,
        logger: logging.Logger | None = None,
    ) -> None:
        for lang in langs:
            if lang not in LANGUAGES:
                raise VoiceError(f"no voice for language {lang!r}; have {', '.join(LANGUAGES)}")
        self._sink = sink
        self._library = library
        self.langs = tuple(langs)
        self._chime = chime
        self._log = logger or logging.getLogger("lobbyq.display.voice")
        self._q: queue.Queue[Call | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()
        self._outstanding = 0
        self.spoken: list[Call] = []

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._q.put(None)
            self._thread.join(timeout)
            self._thread = None

    def announce(self, call: Call) -> None:
        with self._cond:
            while self._q.qsize() >= MAX_QUEUED:
                try:
                    dropped = self._q.get_nowait()
                except queue.Empty:
                    break
                self._outstanding -= 1
                self._log.warning("voice queue full; dropped the waiting call %s", dropped)
            self._outstanding += 1
            self._q.put(call)

    def wait_idle(self, timeout: float) -> bool:
        """Block until everything queued has been spoken (tests, orderly shutdown)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._outstanding == 0, timeout)

    def render(self, call: Call) -> bytes:
        return compose(plan(call, self.langs, chime=self._chime), self._library.pcm)

    def _run(self) -> None:
        while True:
            call = self._q.get()
            if call is None:
                return
            try:
                pcm = self.render(call)
                self._sink.play(pcm, SAMPLE_RATE)
                self.spoken.append(call)
            except Exception:
                self._log.exception(
                    "could not announce %s at counter %s", call.number, call.counter
                )
            finally:
                with self._cond:
                    self._outstanding -= 1
                    self._cond.notify_all()


def make_voice(
    langs: Sequence[str] = ("zh", "en"),
    *,
    sink: Sink | None = None,
    clips: Path | None = None,
    logger: logging.Logger | None = None,
) -> VoiceQueue:
    """A voice queue over the rendered clips, playing on pygame.mixer unless told otherwise.

    Raises :class:`VoiceError` when a clip of these languages is missing, so a
    branch finds out at start-up rather than at the first call.
    """
    library = ClipLibrary(clips or default_clip_root())
    for lang in langs:
        if lang not in LANGUAGES:
            raise VoiceError(f"no voice for language {lang!r}; have {', '.join(LANGUAGES)}")
    missing = library.missing(langs)
    if missing:
        raise VoiceError(
            f"{len(missing)} clip(s) missing, e.g. {missing[0]}; run assets/voice/render.py"
        )
    return VoiceQueue(sink or PygameSink(), library, langs, logger=logger)
