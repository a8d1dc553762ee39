"""The runtime that lives in a kernel: engine thread, job handles, poller, ledger, tracker, session.

Nothing here imports IPython or ipywidgets. Import the submodules directly
(``flow_widgets.runtime.session`` and so on); this package itself loads nothing, so that
``import flow_widgets`` stays cheap.
"""
