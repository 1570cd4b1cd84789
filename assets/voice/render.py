"""Render the call-announcement clips offline with espeak-ng and sox.

Usage (from the repository root)::

    python assets/voice/render.py            # render every language
    python assets/voice/render.py zh en      # only these
    python assets/voice/render.py --check    # list missing or stale clips, render nothing

Each clip of ``display.lexicon.LANGUAGES`` becomes
``assets/voice/<lang>/<clip>.wav``: mono, 16 kHz, signed 16-bit, leading and
trailing silence trimmed, normalised to -3 dBFS, so announcements composed at
run time have even loudness and tight gaps. ``chime.wav`` (a two-tone
"ding-dong") is synthesised by sox. ``manifest.json`` records the voice,
text and size of every clip, so ``--check`` sees a clip whose recipe changed.
Nothing here ever calls an online service.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from display.lexicon import CHIME, LANGUAGES, SAMPLE_RATE, Language  # noqa: E402

SOX_OUT = ["-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer"]
# Trim silence below 0.5 % at both ends, then normalise.
SOX_TRIM = ["silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%", "reverse"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} is not installed (Debian: apt-get install {name})")
    return path


def recipe(lang: Language, clip: str) -> dict[str, Any]:
    return {"voice": lang.voice, "speed": lang.speed, "text": lang.clips[clip]}


def render_clip(espeak: str, sox: str, lang: Language, clip: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(
            [espeak, "-v", lang.voice, "-s", str(lang.speed), "-w", str(raw), lang.clips[clip]],
            check=True,
        )
        subprocess.run(
            [sox, str(raw), *SOX_OUT, str(out), *SOX_TRIM, "norm", "-3"],
            check=True,
        )


def render_chime(sox: str, out: Path) -> None:
    """Ding-dong: G5 then E5 with decaying fades, quieter than speech."""
    subprocess.run(
        [sox, "-n", *SOX_OUT, str(out), "synth", "0.28", "sine", "784", "fade", "0", "0.28",
         "0.22", ":", "synth", "0.5", "sine", "659", "fade", "0", "0.5", "0.45", "norm", "-8"],
        check=True,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("langs", nargs="*", help=f"languages ({', '.join(LANGUAGES)}); all if none")
    parser.add_argument("--check", action="store_true", help="report missing or stale clips only")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args(argv)
    langs = args.langs or list(LANGUAGES)
    unknown = [code for code in langs if code not in LANGUAGES]
    if unknown:
        parser.error(f"unknown language(s): {', '.join(unknown)}")
    manifest_path = args.out / "manifest.json"
    manifest: dict[str, Any] = (
        json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    )
    manifest.setdefault("sample_rate", SAMPLE_RATE)
    clips: dict[str, Any] = manifest.setdefault("clips", {})
    stale = []
    for code in langs:
        lang = LANGUAGES[code]
        for clip in lang.clips:
            key = f"{code}/{clip}"
            path = args.out / code / f"{clip}.wav"
            known = clips.get(key, {})
            if not path.exists() or {k: known.get(k) for k in ("voice", "speed", "text")} != recipe(
                lang, clip
            ):
                stale.append(key)
    if not (args.out / f"{CHIME}.wav").exists():
        stale.append(CHIME)
    if args.check:
        for key in stale:
            print(f"stale: {key}")
        return 1 if stale else 0
    espeak, sox = _tool("espeak-ng"), _tool("sox")
    for key in stale:
        if key == CHIME:
            render_chime(sox, args.out / f"{CHIME}.wav")
            continue
        code, clip = key.split("/")
        lang = LANGUAGES[code]
        path = args.out / code / f"{clip}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        render_clip(espeak, sox, lang, clip, path)
        clips[key] = {**recipe(lang, clip), "bytes": path.stat().st_size}
        print(f"rendered {key}")
    manifest["clips"] = dict(sorted(clips.items()))
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    total = sum(p.stat().st_size for p in args.out.rglob("*.wav"))
    print(f"{len(stale)} clip(s) rendered; {total / 1024:.0f} KiB of clips in {args.out.name}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
