"""What a person sees: job cards, media tags, galleries and the small widget toolbars.

Results are plain display outputs (HTML + text) updated in place, so a saved notebook shows every
finished video and image with no kernel and no widget state; widgets only carry buttons. The
pure builders (:mod:`flow_widgets.ui.html`, :mod:`flow_widgets.ui.text`) import nothing from
IPython; :mod:`flow_widgets.ui.cards` and :mod:`flow_widgets.ui.toolbar` do, lazily.
"""

from __future__ import annotations
