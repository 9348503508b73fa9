# ruff: noqa: T201 - a command line: its output is what the instructor reads
"""`python kit.py class prepare|status|reset|clear|plan`: the instructor's console (docs/instructor.md).

The target and region come from the options, else the environment (WORKSHOP_TARGET, WORKSHOP_REGION), as
connect() reads them; prepare records them in the participants file, and the other commands use the class
prepare recorded there.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..config import CLASS_DIR, DEFAULT_REGION, DEFAULT_TARGET, ENV_REGION, ENV_TARGET
from ..errors import WorkshopError
from . import board, board_render, roster
from .clear import clear_class
from .plan import plan
from .prepare import DEFAULT_WORKERS, new_roster, prepare_class
from .reset import reset_participant


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kit.py class", description="An instructor's class: prepare, watch, clear.")
    parser.add_argument("--dir", type=Path, default=CLASS_DIR, help=f"the class folder (default {CLASS_DIR})")
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="build every participant's prerequisites (resumable)")
    who = prep.add_mutually_exclusive_group(required=True)
    who.add_argument("--participants", help="names, comma-separated: alice,bob,carol")
    who.add_argument("--count", type=int, help="that many participants, named p01, p02, ...")
    prep.add_argument(
        "--shared-endpoint",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="one SageMaker endpoint for everyone (default); --no-shared-endpoint: one each",
    )
    prep.add_argument("--from-step", default="08_2a", help="the notebook participants start at (default 08_2a)")
    prep.add_argument("--target", default="", help="local or aws (default: $WORKSHOP_TARGET, else local)")
    prep.add_argument("--region", default="", help="the AWS region (default: $WORKSHOP_REGION, else us-east-1)")
    prep.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="participants prepared at once")
    status = sub.add_parser("status", help="the board: every participant's steps, read from the cloud")
    status.add_argument(
        "--watch",
        nargs="?",
        const=5.0,
        type=float,
        metavar="SECONDS",
        help="read again every SECONDS (default 5) until Ctrl-C",
    )
    status.add_argument("--html", type=Path, help="also write the board as a self-refreshing HTML page here")
    status.add_argument(
        "--stuck-after",
        type=float,
        default=board.STUCK_AFTER_S / 60,
        metavar="MINUTES",
        help="a participant with no new step for this long is stuck: show diagnose() (default 10)",
    )
    reset = sub.add_parser("reset", help="return one participant to the start of a step")
    reset.add_argument("name")
    reset.add_argument("--to", default="08_2a", help="the step (default 08_2a)")
    clear = sub.add_parser("clear", help="delete every participant's resources and the shared endpoint")
    clear.add_argument("--yes", action="store_true", help="do not ask first")
    clear.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    planned = sub.add_parser("plan", help="how long prepare and clear take on a real account (from the quotas)")
    planned.add_argument("--count", type=int, default=30)
    planned.add_argument("--no-shared-endpoint", dest="shared", action="store_false")
    return parser


def _prepare(args: argparse.Namespace) -> int:
    names = roster.parse_names(args.participants) if args.participants else roster.numbered_names(args.count)
    target = args.target or os.environ.get(ENV_TARGET) or DEFAULT_TARGET
    region = args.region or os.environ.get(ENV_REGION) or DEFAULT_REGION
    if target != "local":
        print(plan(len(names), shared_endpoint=args.shared_endpoint), flush=True)
    wanted = new_roster(
        names, target, region, shared=args.shared_endpoint, from_step=args.from_step, directory=args.dir
    )
    result = prepare_class(wanted, workers=args.workers)
    print(result)
    print("each participant pastes their lines before `python kit.py lab`:")
    for p in result.roster.participants:
        print(
            f"  {p.name}: {roster.env_lines(result.roster, p).strip().replace(chr(10), ' ')}"
            f"   ({args.dir / (p.name + '.parameters.yaml')})  {p.invoke_url}"
        )
    return 0 if result.ok else 1


def _status(args: argparse.Namespace) -> int:
    the_class = roster.load(args.dir)
    while True:
        shown = board.read_board(the_class, stuck_after=args.stuck_after * 60)
        text = board_render.render_text(shown)
        if args.html:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            args.html.write_text(board_render.render_html(shown, refresh=round(args.watch or 5)), encoding="utf-8")
        if not args.watch:
            print(text)
            return 0
        print("\x1b[2J\x1b[H" + text + f"\n\nrefreshing every {args.watch:g} s; Ctrl-C stops", flush=True)
        time.sleep(args.watch)


def _clear(args: argparse.Namespace) -> int:
    the_class = roster.load(args.dir)
    what = f"every resource of {len(the_class.participants)} participants and the shared endpoint"
    if not args.yes and sys.stdin.isatty() and input(f"delete {what} ({the_class.target})? [y/N] ").lower() != "y":
        print("nothing deleted")
        return 1
    if the_class.target != "local":
        print(plan(len(the_class.participants), shared_endpoint=bool(the_class.shared_endpoint)), flush=True)
    result = clear_class(the_class, workers=args.workers)
    print(result)
    return 0 if result.ok else 1


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "prepare":
            return _prepare(args)
        if args.command == "status":
            return _status(args)
        if args.command == "reset":
            done = reset_participant(roster.load(args.dir), args.name, args.to)
            print(f"{args.name} is at the start of {done.notebook}: " + str(done).split(": ", 1)[1])
            return 0
        if args.command == "clear":
            return _clear(args)
        print(plan(args.count, shared_endpoint=args.shared))
        return 0
    except WorkshopError as exc:
        print(f"class: {exc.message}" + (f"\n  fix: {exc.fix}" if exc.fix else ""), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nclass: interrupted; run the same command again to go on where it stopped", file=sys.stderr)
        return 130
