"""HTML attributes with a hyphen in their name (``aria-*``, ``data-*``), typed for Dash's components.

Dash's HTML components take these only as extra keyword arguments, so they are passed as
``**{"aria-live": "polite"}``. A plain dict of text there does not type-check (its keys could be any of
the component's own parameters, which take other types); :class:`Attrs` names the keys the app uses, so
``html.Div(..., **Attrs({"aria-live": "polite"}))`` is checked key by key and renders the same HTML
(at run time ``Attrs(...)`` is the dict itself). A new attribute is one more key here.
"""

from __future__ import annotations

from typing import TypedDict

Attrs = TypedDict(
    "Attrs",
    {
        "aria-describedby": str,
        "aria-hidden": str,
        "aria-label": str,
        "aria-labelledby": str,
        "aria-live": str,
        "data-neo-step": str,
        "data-snapshot": str,
    },
    total=False,
)
"""The hyphenated attributes the app's layouts set (every one optional)."""
