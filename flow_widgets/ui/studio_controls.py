"""The Studio's controls: making them, reading them into a form, and narrowing their choices.

Why apart from :mod:`flow_widgets.ui.studio`: the Studio panel decides *when* things happen
(sync, generate, follow-ups); this part only knows the widgets — which control holds which
field, how a :class:`~flow_widgets.ui.studio_form.StudioForm` is read back from them, and how
:class:`~flow_widgets.ui.studio_form.Options` become the dropdowns' choices and the fields
shown or hidden. Selection widgets sync labels and an index only, so ids and email addresses
held as option values never reach widget state.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets

from flow_widgets.api.catalog import VIDEO_MODELS
from flow_widgets.ui._panel import Panel
from flow_widgets.ui.family import named
from flow_widgets.ui.press import OnceButton
from flow_widgets.ui.prompt_box import PromptBox
from flow_widgets.ui.studio_form import COUNTS, KIND_LABELS, Options, StudioForm
from flow_widgets.ui.studio_inputs import (
    MediaChoices,
    MediaHooks,
    MediaInput,
    MediaListInput,
    NamedTags,
    Uploader,
)

__all__ = ["StudioControls"]

_DEFAULT = "default"
_WIDE = {"description_width": "90px"}


def _dropdown(description: str, **kwargs: object) -> widgets.Dropdown:
    return widgets.Dropdown(description=description, style=_WIDE, **kwargs)


class StudioControls:
    """The Studio's widgets and the pure mapping between them and a form (a mixin)."""

    choices: MediaChoices

    def _build_controls(
        self,
        kind: str,
        *,
        on_change: Callable[[], None],
        report: Callable[[str], None],
        uploader: Uploader,
        on_generate: Callable[[object], object],
        on_new_seed: Callable[[object], object],
    ) -> None:
        """Make every control; ``on_change`` runs after any value changes."""
        changed = on_change
        self.kind = widgets.ToggleButtons(
            options=[(label, key) for key, label in KIND_LABELS.items()],
            value=kind,
            description="make",  # the group's name; each button is named by its label
            style={"button_width": "auto", "description_width": "90px"},
        )
        self.account = _dropdown("account", options=[("any account", "")], value="")
        self.model = _dropdown("model", options=[])
        self.prompt = PromptBox(
            placeholder="Describe the shot: subject, action, camera, light, sound… "
            "(Ctrl+Enter generates)",
            rows=4,
            layout={"width": "100%"},
        )
        self.prompt.add_class("fw-studio-prompt")
        named(self.prompt, "prompt")
        # a visible label too (the placeholder disappears as soon as one types)
        self.prompt_label = widgets.HTML(
            '<span class="fw-group-label" style="color:var(--jp-content-font-color2,#4b5563)">'
            "prompt</span>"
        )
        self.prompt_group = widgets.VBox([self.prompt_label, self.prompt])
        self.duration = _dropdown("duration", options=[])
        self.aspect = _dropdown("aspect", options=[])
        self.resolution = _dropdown("resolution", options=[])
        self.count = _dropdown("takes", options=list(COUNTS), value=1)
        self.seed = widgets.Text(
            description="seed", placeholder="random", style=_WIDE, layout={"width": "220px"}
        )
        self.random_seed = widgets.Button(
            description="", icon="random", tooltip="a new random seed", layout={"width": "40px"}
        )
        self.unlock_seed = widgets.Button(
            description="seed fixed · unlock",
            icon="lock",
            tooltip="Every take repeats this seed; unlock to get a new one each time",
            layout={"width": "auto", "display": "none"},
        )
        self.unlock_seed.add_class("fw-studio-unlock-seed")
        self.upscale_to = _dropdown("upscale to", options=[])
        hooks: MediaHooks = {"uploader": uploader, "on_change": changed, "report": report}
        self.start = MediaInput("first frame", "image", self.choices, **hooks)
        self.end = MediaInput("last frame", "image", self.choices, **hooks)
        self.video = MediaInput("video", "video", self.choices, **hooks)
        self.source = MediaInput("source", "video", self.choices, **hooks)
        self.window = widgets.IntRangeSlider(
            value=(0, 96), min=0, max=240, step=1, description="frames", style=_WIDE,
            layout={"width": "520px"},
        )  # fmt: skip
        self.references = MediaListInput(self.choices, **hooks)
        self.characters = NamedTags("pick characters", on_change=changed)
        self.voices = NamedTags("pick voices", on_change=changed)
        self.references_box = self._labelled("reference images", self.references.widget)
        self.characters_box = self._labelled("characters", self.characters.widget)
        self.voices_box = self._labelled("voices", self.voices.widget)
        self.generate = OnceButton("Generate")  # a double-click presses it once
        self.generate.add_class("fw-studio-generate")
        self.preview_line = widgets.HTML()
        self.preview_line.add_class("fw-studio-preview")
        # what it would buy and the button that buys it, together at the foot of the form
        self.footer = widgets.HBox([self.generate, self.preview_line])
        self.footer.add_class("fw-foot")
        # Not the tab (``kind``): a tab switch puts the new tab's form in place and checks it
        # once (Studio._switch_tab). Checked here as well, the old tab's prompt would be priced
        # in the new tab for a moment, and the browser would show Generate enabled beside the
        # new tab's reason it is not.
        for control in (
            self.account, self.model, self.prompt, self.duration, self.aspect,
            self.resolution, self.count, self.seed, self.upscale_to, self.window,
        ):  # fmt: skip
            control.observe(lambda _c: changed(), names=["value"])
        self.generate.on_click(on_generate)
        self.prompt.on_submit(on_generate)  # Ctrl/Cmd+Enter: the same path as the button
        self.random_seed.on_click(on_new_seed)

    @staticmethod
    def _labelled(label: str, control: widgets.Widget) -> widgets.Box:
        caption = widgets.HTML(
            f'<span class="fw-group-label" style="color:var(--jp-content-font-color2,#4b5563)">'
            f"{html.escape(label)}</span>"
        )
        return widgets.VBox([caption, control])

    def form(self) -> StudioForm:
        """The form's current values (ids, not files)."""
        start, end = self.window.value
        source = self.source.value
        return StudioForm(
            kind=self.kind.value,
            prompt=self.prompt.value,
            model=self.model.value or None,
            duration=None if self.duration.value in (None, _DEFAULT) else int(self.duration.value),
            aspect_ratio=None if self.aspect.value in (None, _DEFAULT) else self.aspect.value,
            resolution=None if self.resolution.value in (None, _DEFAULT) else self.resolution.value,
            count=int(self.count.value or 1),
            seed=self._seed(),
            start_image=self.start.value,
            end_image=self.end.value,
            reference_images=self.references.value,
            characters=self.characters.value,
            voices=self.voices.value,
            reference_video=self.video.value,
            start_frame=start,
            end_frame=end,
            source=source,
            upscale_resolution=self.upscale_to.value or None,
            email=self.account.value or None,
        )

    def _seed(self) -> int | None:
        text = self.seed.value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            return -1  # reported by the request as an invalid seed

    def _apply_options(self, form: StudioForm, options: Options) -> None:
        Panel.set_options(self.model, list(options.models), options.model or None)
        durations = [(f"{d} s", d) for d in options.durations]
        spec_default = form.duration if form.duration in options.durations else None
        if spec_default is None and options.durations:
            model_default = VIDEO_MODELS[options.model].default_duration if options.model else None
            spec_default = (
                model_default if model_default in options.durations else options.durations[-1]
            )
        Panel.set_options(self.duration, durations, spec_default)
        aspects = [("default", _DEFAULT), *((a, a) for a in options.aspect_ratios)]
        aspect = form.aspect_ratio if form.aspect_ratio in options.aspect_ratios else _DEFAULT
        Panel.set_options(self.aspect, aspects, aspect)
        resolutions = [("default", _DEFAULT), *((r, r) for r in options.resolutions)]
        resolution = form.resolution if form.resolution in options.resolutions else _DEFAULT
        Panel.set_options(self.resolution, resolutions, resolution)
        upscales = list(options.upscale_resolutions)
        upscale = form.upscale_resolution if form.upscale_resolution in upscales else None
        Panel.set_options(self.upscale_to, upscales, upscale or (upscales[0] if upscales else None))
        self.source.show_kind("image" if form.source and "-image:" in form.source else "video")
        if options.reference_slots and len(self.references.value) > options.reference_slots:
            self.references.set(self.references.value[: options.reference_slots])

    def _show_fields(self, form: StudioForm) -> None:
        uses = form.uses
        for name, control in (
            ("model", self.model), ("prompt", self.prompt), ("prompt", self.prompt_label),
            ("duration", self.duration),
            ("aspect", self.aspect), ("resolution", self.resolution), ("count", self.count),
            ("seed", self.seed), ("seed", self.random_seed), ("upscale", self.upscale_to),
            ("start", self.start.widget), ("end", self.end.widget), ("video", self.video.widget),
            ("window", self.window), ("source", self.source.widget),
            ("references", self.references_box), ("characters", self.characters_box),
            ("voices", self.voices_box),
        ):  # fmt: skip
            Panel.hide(control, not uses(name))
        if form.kind == "image" and not uses("duration"):
            Panel.hide(self.resolution, True)
