"""``python -m workshop_lib COMMAND``: the kit's command line (local cloud, workshop run, lab)."""

from __future__ import annotations

import argparse
import sys

from .local import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop_lib", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_commands(sub)
    args = parser.parse_args(argv)
    return cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
