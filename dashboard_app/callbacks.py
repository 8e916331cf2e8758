"""Callbacks declared where they belong (tab modules, the page shell) and attached to each app the factory builds.

Declare with :func:`callback` and :func:`clientside_callback`: the same arguments as Dash's public
``app.callback(...)`` and ``app.clientside_callback(...)``. Declaring only records the arguments and
returns the decorated function unchanged, so a test calls it as a plain function. ``create_app``
calls :func:`attach`, which replays every declaration on that app through the public API. So each
app built in one process (tests build several) gets its own copy of every callback, and nothing
reaches into Dash's private state (its module-level callback lists; issue #20).

Why not ``dash.callback``: Dash hands the callbacks declared with it to the *first* app that serves
a request and then forgets them, so a second app in the same process would serve none.

Example::

    from dashboard_app import callbacks

    @callbacks.callback(Output("a", "children"), Input("b", "value"))
    def show(value):            # still a plain function: show("x") in a test
        return value

    callbacks.clientside_callback("function (v) { return v; }", Output("c", "children"), Input("b", "value"))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import dash

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Declaration:
    """One declared callback: how to register it on an app (``kind``) and with what."""

    kind: Literal["server", "clientside"]
    function: Any  # the Python function, or the clientside JavaScript text / ``ClientsideFunction``
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


# Filled while modules are imported, then only read. Keyed so that importing a module twice (a reload)
# replaces its declarations instead of doubling them; two modules declaring the same outputs still
# collide, loudly, when an app registers both.
_DECLARED: dict[str, Declaration] = {}


def _key(declaration: Declaration) -> str:
    fn = declaration.function
    origin = f"{fn.__module__}.{fn.__qualname__}" if callable(fn) else repr(fn)
    return f"{declaration.kind}|{origin}|{declaration.args!r}|{sorted(declaration.kwargs.items())!r}"


def _declare(declaration: Declaration) -> None:
    _DECLARED[_key(declaration)] = declaration


def callback(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """Declare a server callback (arguments as for ``app.callback``); the function is returned unchanged."""

    def record(function: F) -> F:
        _declare(Declaration("server", function, args, kwargs))
        return function

    return record


def clientside_callback(function: str | dash.ClientsideFunction, *args: Any, **kwargs: Any) -> None:
    """Declare a clientside callback (arguments as for ``app.clientside_callback``).

    Inline JavaScript text is hashed into the Content-Security-Policy by ``app.csp_hashes()``;
    a ``ClientsideFunction`` names a function in ``assets/*.js``.
    """
    _declare(Declaration("clientside", function, args, kwargs))


def declared() -> list[Declaration]:
    """Every declaration so far, in declaration order."""
    return list(_DECLARED.values())


def attach(app: dash.Dash) -> int:
    """Register every declared callback on ``app`` with Dash's public API; returns how many."""
    items = declared()
    for d in items:
        if d.kind == "server":
            app.callback(*d.args, **d.kwargs)(d.function)
        else:
            app.clientside_callback(d.function, *d.args, **d.kwargs)
    return len(items)
