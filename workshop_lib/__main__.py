"""``python -m workshop_lib COMMAND``: the kit's command line (local cloud, workshop run, lab)."""

from __future__ import annotations

import argparse
import sys

from .local import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop_lib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_commands(sub)
    sub.add_parser("workshop", help="run every workshop notebook (the main job)", add_help=False)
    sub.add_parser("lab", help="the local cloud and JupyterLab on your copy of the notebooks", add_help=False)
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "lab":
        from . import lab

        return lab.main(argv[1:])
    if argv and argv[0] == "workshop":
        from . import main_job

        return main_job.main(argv[1:])
    args = parser.parse_args(argv)
    return cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
