"""The ``onegrid`` command: every Django management command, plus OneGrid's own
(``demo``, ``serve``, ``worker``, ``areas``, ``token``, ``pii``, ``bench``)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onegrid.settings")
    from django.core.management import execute_from_command_line

    args = list(argv if argv is not None else sys.argv)
    args[0] = "onegrid"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
