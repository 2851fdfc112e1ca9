"""What a command of the engine writes to, and the error it raises for a wrong invocation (no Django).

The engine's command line (`cli.py`) and the portal's management commands run the same command
functions; each hands them a `Console`: `isp-eval` one that prints to the process's streams, a
management command one around Django's ``self.stdout.write`` and ``self.stderr.write`` (which may
also colour a verdict). A command function raises `Problem` when it is asked for something it cannot
do (no such file, counts that do not match); `isp-eval` prints ``isp-eval COMMAND: error: MESSAGE``
and exits 1, a management command raises Django's CommandError with the message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass


def _plain(text: str, ok: bool) -> str:
    return text


def _print_out(line: str) -> None:
    print(line, file=sys.stdout, flush=True)


def _print_err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Console:
    """Two line writers (a line is given without its newline) and how a verdict line is shown."""

    out: Callable[[str], None] = _print_out
    err: Callable[[str], None] = _print_err
    paint: Callable[[str, bool], str] = _plain  # (the verdict's text, whether it is good) -> what is written

    def verdict(self, text: str, *, ok: bool) -> None:
        self.out(self.paint(text, ok))


class Problem(Exception):
    """The command cannot run as asked; the message says what to change."""
