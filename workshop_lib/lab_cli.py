"""The command line of ``python kit.py lab`` (and ``python -m workshop_lib lab``): standard library only.

kit.py loads this file by its path before the virtual environment exists, so that ``python kit.py lab
--help`` and a bad option answer at once, without installing anything: import nothing here but the
standard library (not even the rest of workshop_lib).
"""

from __future__ import annotations

import argparse
import os

LANGUAGES = ("en",)  # the languages the notebooks are written in
DEFAULT_PORT = 8888  # JupyterLab's own default; the next free port is used when it is taken
ENV_REGION = "WORKSHOP_REGION"  # the same variable as workshop_lib.config.ENV_REGION
ENV_LAB_DIR = "WORKSHOP_LAB_DIR"  # the same variable as workshop_lib.config.ENV_LAB_DIR

DESCRIPTION = """\
Start the local cloud and JupyterLab on your working copy of the workshop notebooks.

Your copy (my-notebooks/, git-ignored) is made from notebooks/ on the first start and is never
overwritten without asking, so your edits survive and the repository stays clean. Ctrl-C stops
JupyterLab, its kernels, and the local cloud if this command started it (a local cloud that was
already running is left running).
"""

EPILOG = f"""\
examples:
  python kit.py lab                      # or: make lab
  python kit.py lab --port 9999 --no-browser
  make lab ARGS="--port 9999 --no-browser"
  python kit.py lab --reset              # a fresh copy of the notebooks (asks first)

environment: {ENV_REGION} (region of the local cloud), {ENV_LAB_DIR} (where your copy is kept).
As root (containers, cloud notebooks), JupyterLab is given --allow-root.
"""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1 to 65535)")
    return port


def _language(text: str) -> str:
    lang = text.strip().lower()
    if lang not in LANGUAGES:
        raise argparse.ArgumentTypeError(f"the notebooks exist only in {', '.join(LANGUAGES)} for now, not in {text!r}")
    return lang


def parser(prog: str = "python kit.py lab") -> argparse.ArgumentParser:
    """The lab's argument parser."""
    p = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--port", type=_port, help=f"the port JupyterLab listens on (default: {DEFAULT_PORT} or the next free one)"
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; open the printed URL yourself")
    p.add_argument("--lang", type=_language, default="en", help=f"language of the notebooks: {', '.join(LANGUAGES)}")
    p.add_argument("--region", default=os.environ.get(ENV_REGION) or "us-east-1", help="region of the local cloud")
    p.add_argument(
        "--allow-root", action="store_true", help="let JupyterLab run as root (given automatically when you are root)"
    )
    p.add_argument("--reset", action="store_true", help="renew your copy of the notebooks from notebooks/ (asks first)")
    p.add_argument("--yes", "-y", action="store_true", help="with --reset: do not ask")
    return p


def parse(argv: list[str], prog: str = "python kit.py lab") -> argparse.Namespace:
    """Parse the lab's arguments; exits with a message naming the problem (or after printing --help)."""
    args = parser(prog).parse_args(argv)
    if args.yes and not args.reset:
        parser(prog).error("--yes only goes with --reset")
    return args
