"""The command line of ``python kit.py lab`` (and ``python -m workshop_lib lab``): standard library only.

kit.py loads this file by its path before the virtual environment exists, so that ``python kit.py lab
--help`` and a bad option answer at once, without installing anything: import nothing here but the
standard library (not even the rest of workshop_lib).
"""

from __future__ import annotations

import argparse
import os

LANGUAGES = ("en", "vi")  # the languages of the notebooks: the same as workshop_lib.i18n.LANGUAGES
DEFAULT_PORT = 8888  # JupyterLab's own default; the next free port is used when it is taken
ENV_REGION = "WORKSHOP_REGION"  # the same variable as workshop_lib.config.ENV_REGION
ENV_LAB_DIR = "WORKSHOP_LAB_DIR"  # the same variable as workshop_lib.config.ENV_LAB_DIR
ENV_LANG = "WORKSHOP_LANG"  # the same variable as workshop_lib.config.ENV_LANG

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
  python kit.py lab --lang vi            # the workshop in Vietnamese (Tiếng Việt): my-notebooks-vi/

environment: {ENV_REGION} (region of the local cloud), {ENV_LAB_DIR} (where your copy is kept),
{ENV_LANG} (the default of --lang).
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
        raise argparse.ArgumentTypeError(f"the notebooks exist in {', '.join(LANGUAGES)}, not in {text!r}")
    return lang


def _default_language() -> str:
    """$WORKSHOP_LANG's language when it is one of LANGUAGES ("vi", "vi_VN.UTF-8"), else English."""
    code = os.environ.get(ENV_LANG, "").strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return code if code in LANGUAGES else "en"


def parser(prog: str = "python kit.py lab") -> argparse.ArgumentParser:
    """The lab's argument parser."""
    p = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--port", type=_port, help=f"the port JupyterLab listens on (default: {DEFAULT_PORT} or the next free one)"
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; open the printed URL yourself")
    p.add_argument(
        "--lang",
        type=_language,
        default=_default_language(),
        help=f"language of the notebooks: {', '.join(LANGUAGES)} (default: ${ENV_LANG}, else en); vi: Tiếng Việt",
    )
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
