"""``python -m workshop_lib COMMAND``: the kit's command line (local cloud, workshop run, lab)."""

from __future__ import annotations

import argparse
import os
import sys

from .config import DEFAULT_REGION, ENV_REGION
from .local import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop_lib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_commands(sub)
    sub.add_parser("workshop", help="run every workshop notebook (the main job)", add_help=False)
    sub.add_parser("lab", help="start the local cloud and JupyterLab on the notebooks", add_help=False)
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("workshop", "lab"):
        from . import main_job

        if argv[0] == "lab":
            return main_job.lab(os.environ.get(ENV_REGION) or DEFAULT_REGION)
        return main_job.main(argv[1:])
    args = parser.parse_args(argv)
    return cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
