"""Named points of the long-running commands: the publisher's and the exporter's stages.

``reached(command, stage)`` does nothing. It marks the points where a crash, a kill or a lost
database matters, so that the tests' fault injection (``tests/fault_injection/``) can replace it
in a child process and pause, kill or fail there. Production code has no test branches: no
environment variable changes what it does. Call it as ``checkpoints.reached(...)`` (through the
module) so a replacement takes effect.
"""

from __future__ import annotations


def reached(command: str, stage: str) -> None:
    """``command`` (``"publish"`` or ``"export"``) has reached ``stage``; nothing happens here."""
