"""Voice: clip order, composed length, queue order, and playback on SDL's disk driver."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import pytest

from display.lexicon import LANGUAGES, SAMPLE_RATE
from display.voice import (
    CHIME_GAP_MS,
    LANG_GAP_MS,
    WORD_GAP_MS,
    Call,
    Clip,
    ClipLibrary,
    Gap,
    RecordingSink,
    VoiceError,
    VoiceQueue,
    WavSink,
    compose,
    default_clip_root,
    duration_s,
    plan,
    sentence,
)

ROOT = default_clip_root()


def keys(lang: str, call: Call) -> list[str]:
    return [c.name for c in sentence(lang, call)]


def test_mandarin_then_english_in_the_order_spoken() -> None:
    parts = plan(Call("A023", "3"), ["zh", "en"])
    clips = [p.key for p in parts if isinstance(p, Clip)]
    assert clips == [
        "chime",
        "zh/word-qing", "zh/letter-a", "zh/digit-0", "zh/digit-2", "zh/digit-3", "zh/word-hao",
        "zh/word-dao", "zh/digit-3", "zh/word-hao", "zh/word-chuangkou",
        "en/word-ticket", "en/letter-a", "en/digit-0", "en/digit-2", "en/digit-3",
        "en/word-counter", "en/digit-3",
    ]  # fmt: skip
    gaps = [p.ms for p in parts if isinstance(p, Gap)]
    assert gaps[0] == CHIME_GAP_MS and LANG_GAP_MS in gaps
    assert gaps.count(WORD_GAP_MS) == (10 - 1) + (7 - 1)


@pytest.mark.parametrize(
    ("lang", "counter", "words"),
    [
        ("zh", "3", ["digit-3"]),
        ("zh", "10", ["word-shi"]),
        ("zh", "12", ["word-shi", "digit-2"]),
        ("zh", "20", ["digit-2", "word-shi"]),
        ("zh", "47", ["digit-4", "word-shi", "digit-7"]),
        ("yue", "15", ["word-shi", "digit-5"]),
        ("en", "7", ["digit-7"]),
        ("en", "13", ["num-13"]),
        ("en", "40", ["num-40"]),
        ("en", "21", ["num-20", "digit-1"]),
        ("es", "16", ["num-16"]),
        ("es", "29", ["num-29"]),
        ("es", "35", ["num-30", "word-y", "digit-5"]),
        ("es", "105", ["digit-1", "digit-0", "digit-5"]),
        ("en", "V2", ["letter-v", "digit-2"]),
    ],
)
def test_counter_numbers_as_each_language_says_them(
    lang: str, counter: str, words: list[str]
) -> None:
    spoken = keys(lang, Call("A001", counter))
    if lang in ("zh", "yue"):
        assert spoken[-2:] == ["word-hao", "word-chuangkou"]
        spoken = spoken[:-2]
    assert spoken[-len(words) :] == words


def test_spanish_and_cantonese_sentences() -> None:
    assert keys("es", Call("B7", "2")) == [
        "word-numero", "letter-b", "digit-7", "word-ventanilla", "digit-2"
    ]  # fmt: skip
    assert keys("yue", Call("C1", "2"))[0] == "word-qing"


def test_every_clip_the_composer_can_ask_for_is_rendered() -> None:
    lib = ClipLibrary(ROOT)
    assert lib.missing(list(LANGUAGES)) == []
    # and every name the composer produces is in the lexicon (so it has a recipe)
    for lang in LANGUAGES:
        for counter in ("1", "9", "10", "11", "19", "20", "21", "35", "99", "100", "Z9"):
            for clip in sentence(lang, Call("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", counter)):
                assert clip.name in LANGUAGES[lang].clips


def test_composed_length_is_the_clips_plus_the_gaps() -> None:
    lib = ClipLibrary(ROOT)
    parts = plan(Call("A023", "3"), ["zh", "en"])
    pcm = compose(parts, lib.pcm)
    want = sum(
        len(lib.pcm(p)) if isinstance(p, Clip) else 2 * SAMPLE_RATE * p.ms // 1000 for p in parts
    )
    assert len(pcm) == want
    # a real announcement: a few seconds, not silence, not a minute
    assert 3.0 < duration_s(pcm) < 9.0
    assert (
        max(
            abs(int.from_bytes(pcm[i : i + 2], "little", signed=True))
            for i in range(0, len(pcm), 400)
        )
        > 3000
    )


def test_a_missing_clip_is_a_voice_error(tmp_path: Path) -> None:
    with pytest.raises(VoiceError, match="render"):
        ClipLibrary(tmp_path).pcm(Clip("zh", "word-qing"))
    with pytest.raises(VoiceError):
        VoiceQueue(RecordingSink(), ClipLibrary(ROOT), ["xx"])


class SlowSink:
    """Records when each play starts and ends, taking a little time per buffer."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float, int]] = []

    def play(self, pcm: bytes, rate: int) -> None:
        start = time.monotonic()
        time.sleep(0.01)
        self.spans.append((start, time.monotonic(), len(pcm)))


def test_queue_never_overlaps_and_keeps_order_and_a_recall_repeats() -> None:
    sink = SlowSink()
    vq = VoiceQueue(sink, ClipLibrary(ROOT), ["zh", "en"])
    vq.start()
    calls = [Call(f"A{i:03d}", str(i % 5 + 1)) for i in range(8)]
    threads = [threading.Thread(target=vq.announce, args=(c,)) for c in calls[:4]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in calls[4:]:
        vq.announce(c)
    vq.announce(Call("A007", "3", recall=True))
    assert vq.wait_idle(10)
    vq.stop()
    assert len(sink.spans) == 9
    for (_, end, _), (start, _, _) in zip(sink.spans, sink.spans[1:], strict=False):
        assert start >= end  # one at a time
    assert [c.number for c in vq.spoken[4:]] == ["A004", "A005", "A006", "A007", "A007"]
    assert vq.spoken[-1].recall


def test_wav_sink_writes_the_same_audio(tmp_path: Path) -> None:
    vq = VoiceQueue(WavSink(tmp_path), ClipLibrary(ROOT), ["es"])
    vq.start()
    vq.announce(Call("D012", "4"))
    assert vq.wait_idle(5)
    vq.stop()
    with wave.open(str(tmp_path / "00001.wav")) as w:
        assert (w.getnchannels(), w.getframerate()) == (1, SAMPLE_RATE)
        assert w.readframes(w.getnframes()) == vq.render(Call("D012", "4"))


PLAY_SCRIPT = """
import sys
from display.voice import Call, ClipLibrary, PygameSink, default_clip_root, plan, compose
lib = ClipLibrary(default_clip_root())
pcm = compose(plan(Call("A1", "2"), ["en"], chime=False), lib.pcm)
sink = PygameSink()
sink.play(pcm, 16000)
sink.close()
print(len(pcm))
"""


def test_pygame_plays_it_through_the_sdl_disk_driver(tmp_path: Path) -> None:
    out = tmp_path / "audio.raw"
    env = {**os.environ, "SDL_AUDIODRIVER": "disk", "SDL_DISKAUDIOFILE": str(out),
           "PYGAME_HIDE_SUPPORT_PROMPT": "1"}  # fmt: skip
    started = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-c", PLAY_SCRIPT], env=env, capture_output=True, text=True, timeout=30
    )
    assert res.returncode == 0, res.stderr
    pcm_len = int(res.stdout.strip().splitlines()[-1])
    seconds = pcm_len / (2 * SAMPLE_RATE)
    # it waited for the end instead of returning at once ...
    assert time.monotonic() - started >= seconds
    # ... and the device received at least that much audio (in the device's own format)
    assert out.stat().st_size >= pcm_len


def test_make_voice_refuses_missing_clips_at_start(tmp_path: Path) -> None:
    from display.voice import make_voice

    with pytest.raises(VoiceError, match="missing"):
        make_voice(["en"], sink=RecordingSink(), clips=tmp_path)
    with pytest.raises(VoiceError, match="no voice"):
        make_voice(["fr"], sink=RecordingSink())
    vq = make_voice(["yue", "es"], sink=RecordingSink())
    assert vq.langs == ("yue", "es")
