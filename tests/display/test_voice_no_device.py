"""A display box without a sound card gets a clear voice error, not a traceback."""

from __future__ import annotations

import pygame
import pytest

from display.voice import PygameSink, VoiceError


def test_missing_audio_device_is_a_voice_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pygame.mixer, "get_init", lambda: None)

    def no_card(*args: object, **kwargs: object) -> None:
        raise pygame.error("Couldn't open audio device")

    monkeypatch.setattr(pygame.mixer, "init", no_card)
    with pytest.raises(VoiceError, match="no audio device"):
        PygameSink()
