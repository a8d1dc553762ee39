"""Sound for the simulator: a seeded chord under every clip and tone "speech" for voice samples.

Why: Veo 3.1 and Omni Flash both return clips with sound, so simulated clips carry an AAC track
that a browser really plays; a chord chosen by the seed makes two takes audibly different. Voice
samples (``GET /voices``) are short WAV files whose syllables follow the words of the text, so
the same text and seed always give the same file. Everything here is numpy arithmetic on float32
arrays shaped ``(channels, samples)``; nothing here touches a codec.
"""

from __future__ import annotations

import io
import random
import wave
import zlib

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "AUDIO_RATE",
    "VOICE_RATE",
    "ambience",
    "chord",
    "fit_length",
    "join",
    "voice_wav",
]

Samples = NDArray[np.float32]

AUDIO_RATE = 48_000
"""Sample rate of every audio track in simulated video."""
VOICE_RATE = 24_000
"""Sample rate of simulated voice samples (mono, 16-bit)."""

_ROOTS_HZ = (110.0, 123.47, 130.81, 146.83, 164.81, 174.61, 196.0)
_CHORDS = ((0, 4, 7, 12), (0, 3, 7, 10), (0, 5, 7, 14), (0, 4, 9, 16))


def _fades(samples: Samples, rate: int, seconds: float = 0.04) -> Samples:
    ramp_length = min(samples.shape[-1] // 2, int(rate * seconds))
    if ramp_length > 0:
        ramp = np.linspace(0.0, 1.0, ramp_length, dtype=np.float32)
        samples[..., :ramp_length] *= ramp
        samples[..., -ramp_length:] *= ramp[::-1]
    return samples


def chord(seed: int, seconds: float, *, rate: int = AUDIO_RATE) -> Samples:
    """A stereo chord chosen by ``seed``, gently pulsing, exactly ``seconds`` long.

    >>> chord(7, 0.5).shape
    (2, 24000)
    """
    rng = random.Random(seed)
    root = rng.choice(_ROOTS_HZ) * rng.choice((1.0, 2.0))
    intervals = rng.choice(_CHORDS)
    pulse_hz = rng.uniform(0.25, 0.8)
    count = round(seconds * rate)
    t = np.arange(count, dtype=np.float64) / rate
    left = np.zeros(count, dtype=np.float64)
    right = np.zeros(count, dtype=np.float64)
    for index, semitones in enumerate(intervals):
        frequency = root * 2.0 ** (semitones / 12.0)
        phase = rng.uniform(0.0, 2.0 * np.pi)
        swell = 0.6 + 0.4 * np.sin(2.0 * np.pi * pulse_hz * t + index * 1.3)
        pan = (index + 0.5) / len(intervals)
        tone = np.sin(2.0 * np.pi * frequency * t + phase) * swell
        left += tone * (1.0 - pan)
        right += tone * pan
    stereo = np.stack([left, right]) * (0.32 / len(intervals) * 2.0)
    return _fades(stereo.astype(np.float32), rate)


def _noise(rng: np.random.Generator, count: int, cutoff_hz: float, rate: int) -> Samples:
    """Stereo noise low-passed at ``cutoff_hz`` (shaped in the frequency domain), unit RMS."""
    white = rng.standard_normal((2, count))
    spectrum = np.fft.rfft(white, axis=-1)
    frequencies = np.fft.rfftfreq(count, 1.0 / rate)
    spectrum *= 1.0 / (1.0 + (frequencies / cutoff_hz) ** 2)
    shaped = np.fft.irfft(spectrum, n=count, axis=-1)
    rms = float(np.sqrt(np.mean(shaped**2))) or 1.0
    return (shaped / rms).astype(np.float32)


def _ambient(kind: str, rng: np.random.Generator, count: int, thunder: list[float]) -> Samples:
    rate = AUDIO_RATE
    t = np.arange(count, dtype=np.float32) / rate
    if kind in ("rain", "storm"):
        sound = _noise(rng, count, 5000.0, rate) * (0.09 if kind == "rain" else 0.12)
        for at in thunder if kind == "storm" else []:
            start = int(at * rate)
            length = min(count - start, int(2.2 * rate))
            if length > 0:
                decay = np.exp(-np.arange(length, dtype=np.float32) / (0.6 * rate))
                sound[:, start : start + length] += _noise(rng, length, 90.0, rate) * 0.5 * decay
        return sound
    if kind == "wind":
        gust = 0.55 + 0.45 * np.sin(2.0 * np.pi * 0.17 * t) ** 2
        return (_noise(rng, count, 350.0, rate) * 0.1 * gust).astype(np.float32)
    if kind == "waves":
        swell: Samples = (np.sin(np.pi * 0.12 * t) ** 4).astype(np.float32)
        return (_noise(rng, count, 900.0, rate) * 0.16 * swell).astype(np.float32)
    if kind == "hum":
        hum = 0.03 * np.sin(2.0 * np.pi * 55.0 * t)
        return (_noise(rng, count, 250.0, rate) * 0.06 + hum).astype(np.float32)
    if kind == "birds":
        sound = np.zeros((2, count), dtype=np.float32)
        for _ in range(max(1, count // rate * 2)):
            start = int(rng.uniform(0, max(1, count - rate // 5)))
            length = min(count - start, rate // 8)
            tt = np.arange(length, dtype=np.float32) / rate
            pitch = rng.uniform(2800.0, 4200.0)
            chirp = np.sin(2.0 * np.pi * (pitch * tt + 9000.0 * tt**2)) * np.sin(np.pi * tt * 8)
            side = int(rng.integers(0, 2))
            sound[side, start : start + length] += 0.12 * chirp
        return sound
    return _noise(rng, count, 150.0, rate) * 0.04  # hush: fog's soft low air


def ambience(
    music: Samples, kinds: list[str], *, seed: int, thunder: list[float] | None = None
) -> Samples:
    """``music`` under the ambient sounds ``kinds`` names (rain, storm, wind, waves, hum, birds).

    Thunder rumbles start at the ``thunder`` times, the moments the picture flashes. Without any
    kind, ``music`` comes back unchanged.
    """
    if not kinds:
        return music
    count = music.shape[-1]
    rng = np.random.default_rng(seed)
    mixed = music * 0.6
    for kind in dict.fromkeys(kinds):
        mixed = mixed + _ambient(kind, rng, count, thunder or [])
    return _fades(np.clip(mixed, -0.95, 0.95).astype(np.float32), AUDIO_RATE)


def fit_length(samples: Samples, count: int) -> Samples:
    """Cut or pad (with silence) ``samples`` to exactly ``count`` samples per channel."""
    have = samples.shape[-1]
    if have >= count:
        return samples[..., :count]
    padding = np.zeros((samples.shape[0], count - have), dtype=np.float32)
    return np.concatenate([samples, padding], axis=-1)


def join(first: Samples, second: Samples, *, rate: int = AUDIO_RATE) -> Samples:
    """Join two tracks end to end, fading the seam over 50 ms so it does not click.

    The result is exactly as long as both inputs together.
    """
    overlap = min(first.shape[-1], second.shape[-1], int(rate * 0.05))
    if overlap == 0:
        return np.concatenate([first, second], axis=-1)
    ramp = np.linspace(0.0, 1.0, overlap, dtype=np.float32)
    head = first.copy()
    tail = second.copy()
    head[:, -overlap:] *= 1.0 - ramp
    tail[:, :overlap] *= ramp
    return np.concatenate([head, tail], axis=-1)


def _syllables(text: str) -> list[str]:
    words = [word for word in text.split() if word.strip()]
    return words[:24] or ["hello", "from", "the", "simulator"]


def voice_wav(text: str, seed: int, *, rate: int = VOICE_RATE) -> bytes:
    """A mono 16-bit WAV: one vibrato tone burst per word of ``text``, pitch set by ``seed``.

    At most 24 words are voiced, so a sample never runs much past six seconds.
    """
    rng = random.Random(seed)
    base = rng.uniform(110.0, 240.0)
    vibrato_hz = rng.uniform(4.5, 6.5)
    pieces: list[NDArray[np.float64]] = []
    gap = np.zeros(int(rate * 0.06), dtype=np.float64)
    for word in _syllables(text):
        step = zlib.crc32(word.lower().encode("utf-8")) % 7
        frequency = base * 2.0 ** (step / 12.0)
        seconds = min(0.4, 0.1 + 0.035 * len(word))
        t = np.arange(int(rate * seconds), dtype=np.float64) / rate
        wobble = 1.0 + 0.01 * np.sin(2.0 * np.pi * vibrato_hz * t)
        phase = 2.0 * np.pi * frequency * np.cumsum(wobble) / rate
        burst = np.sin(phase) + 0.45 * np.sin(2.0 * phase) + 0.2 * np.sin(3.0 * phase)
        envelope = np.sin(np.pi * t / seconds) ** 0.6
        pieces.extend([burst * envelope, gap])
    signal = np.concatenate(pieces) * 0.3
    pcm = np.clip(signal * 32767.0, -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm.tobytes())
    return buffer.getvalue()
