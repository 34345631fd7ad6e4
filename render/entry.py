"""The `render` program's entry point: signal handlers first, then the (heavy) imports.

Importing the rendering modules (numpy, cairo, numba, OpenCV) takes about a second; a
Ctrl-C or SIGTERM in that time used to print a KeyboardInterrupt traceback. Until the CLI
is imported, either signal ends the program at once with one line (nothing has been
written yet); from then on the CLI's own handlers clean up as they unwind.

A SIGINT that the program inherited as ignored (a background job of a script) stays
ignored, as the shell intended.
"""

from __future__ import annotations

import os
import signal
import sys

_MESSAGES = {
    signal.SIGINT: "interrupted; nothing was written",
    signal.SIGTERM: "terminated (SIGTERM); nothing was written",
}


def _before_the_cli(signum: int, _frame) -> None:
    try:
        sys.stderr.write(f"{_MESSAGES.get(signum, 'stopped')}\n")
        sys.stderr.flush()
    finally:
        os._exit(128 + signum)


def main() -> None:
    sigint_ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if not sigint_ignored:
        signal.signal(signal.SIGINT, _before_the_cli)
    signal.signal(signal.SIGTERM, _before_the_cli)
    from render import cli

    if not sigint_ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    cli.main()
