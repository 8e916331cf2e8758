"""The synthetic sky: a deterministic generator of ``mpc_sbn``-shaped source tables and their known snapshot.

``generate(seed, scale) -> Sky`` (see :mod:`dashboard_app.sky.generator`).
"""

from dashboard_app.sky.generator import Sky, generate

__all__ = ["Sky", "generate"]
