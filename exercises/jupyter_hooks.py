"""Jupyter Server hook the course installs: lessons are saved without their widget outputs.

Why: a widget's output in a saved notebook is only a reference to a model in the kernel that drew
it (``application/vnd.jupyter.widget-view+json`` with a ``model_id``). Reopened later, with a new
kernel, JupyterLab finds no such model and shows "Error displaying widget: model not found" under
every exercise. JupyterLab autosaves open notebooks every two minutes, so every lesson a learner
has worked in would reopen that way. The answers themselves live in ``responses.json`` and come
back when the cells run again, so the widget outputs hold nothing worth keeping.

:func:`strip_widget_outputs` is a ``ContentsManager.pre_save_hook``: it runs on the server for
every save (autosave included), removes each output that displays a widget, and drops saved widget
state (``metadata.widgets``), so a lesson always reopens clean, with only the prose and the first
cell's "run this lesson" instruction. Other outputs (tables, charts drawn by code) are kept.

Installed as ``jupyter_server_config.d/techlead-course.json`` (see ``lab-settings/``) by
``make install`` (``make lab``), Binder's ``postBuild`` and the JupyterHub deployment.
"""
from __future__ import annotations

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def is_widget_output(output) -> bool:
    """Does this notebook output display an ipywidget?"""
    data = output.get("data") if isinstance(output, dict) else None
    return isinstance(data, dict) and WIDGET_VIEW in data


def strip_widget_outputs(model=None, path=None, contents_manager=None, **kwargs):
    """Remove widget outputs and saved widget state from a notebook model about to be saved.

    Changes ``model`` in place (the server then writes it); anything that is not a notebook, or not
    shaped like one, is left alone. Returns the number of outputs removed.
    """
    if not isinstance(model, dict) or model.get("type") != "notebook":
        return 0
    nb = model.get("content")
    if not isinstance(nb, dict):
        return 0
    removed = 0
    for cell in nb.get("cells") or []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        outputs = cell.get("outputs") or []
        kept = [o for o in outputs if not is_widget_output(o)]
        if len(kept) != len(outputs):
            removed += len(outputs) - len(kept)
            cell["outputs"] = kept
    metadata = nb.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("widgets", None)
    return removed
