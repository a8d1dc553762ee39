"""How long the simulator takes to synthesize each kind of media.

The headline target: an 8 s clip in at most one second, so a classroom of simulated jobs never
waits on the encoder. The other targets keep every product well inside what a notebook user
would call instant, and keep 4K upscales bounded (see ``flow_widgets.simulator.media``).
"""

from __future__ import annotations

from tests.benchmarks import Result, median_seconds

PROMPT = "A red fox runs through snowy woods at dawn, soft golden light, cinematic tracking shot"
BUSY = "a red car and a yellow bus in a rainy city at night, camera pans right, handheld, vintage"
ZOOM = "a golden retriever puppy chases a red ball on a beach at golden hour, slow zoom in"


def run() -> list[Result]:
    from flow_widgets.simulator import media

    def clip(seed: int = 42, aspect: str = "landscape", prompt: str = PROMPT) -> bytes:
        return media.render_video(
            prompt=prompt, model="veo-3.1-fast", seed=seed, duration=8.0, aspect=aspect
        )

    source = clip()
    image = media.render_image(prompt=PROMPT, model="nano-banana-2", seed=1, aspect="16:9")
    return [
        Result("media: 8 s 640x360 clip, H.264 + AAC", median_seconds(clip, repeat=5), "s", 1.0),
        Result(
            "media: 8 s 640x360 clip, rain + pan + 2 figures + style",
            median_seconds(lambda: clip(prompt=BUSY), repeat=3),
            "s",
            1.0,
        ),
        Result(
            "media: 8 s 640x360 clip, zoom in + 2 figures",
            median_seconds(lambda: clip(prompt=ZOOM), repeat=3),
            "s",
            1.0,
        ),
        Result(
            "media: 8 s 360x640 clip, H.264 + AAC",
            median_seconds(lambda: clip(aspect="portrait")),
            "s",
            1.0,
        ),
        Result(
            "media: 1024x576 PNG image",
            median_seconds(
                lambda: media.render_image(
                    prompt=PROMPT, model="nano-banana-2", seed=2, aspect="16:9"
                ),
                repeat=5,
            ),
            "s",
            0.25,
        ),
        Result(
            "media: GIF of an 8 s clip", median_seconds(lambda: media.render_gif(source)), "s", 1.0
        ),
        Result(
            "media: extend by 8 s",
            median_seconds(lambda: media.extend_video(source, prompt=PROMPT, seed=3)),
            "s",
            1.0,
        ),
        Result(
            "media: concatenate 3 x 8 s",
            median_seconds(lambda: media.concat_videos([(source, 0.0, 0.0)] * 3), repeat=2),
            "s",
            2.5,
        ),
        Result(
            "media: upscale 8 s to 1080p",
            median_seconds(lambda: media.upscale_video(source, "1080p"), repeat=2),
            "s",
            3.0,
        ),
        Result(
            "media: upscale 8 s to 4K",
            median_seconds(lambda: media.upscale_video(source, "4K"), repeat=2),
            "s",
            5.0,
        ),
        Result(
            "media: upscale image to 4k JPEG",
            median_seconds(lambda: media.upscale_image(image, "4k")),
            "s",
            0.5,
        ),
    ]
