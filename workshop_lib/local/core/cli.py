"""``python -m workshop_lib up | down | status | env``: the local cloud from a terminal."""

from __future__ import annotations

import argparse
import sys

from ...config import DEFAULT_REGION, ENV_REGION
from ...errors import WorkshopError
from ...i18n import _
from . import lifecycle
from .state import CloudState


def _exports(state: CloudState) -> str:
    """Lines a POSIX shell can eval, with the PowerShell equivalents as comments."""
    env = state.environment()
    lines = [f"export {k}={v}" for k, v in env.items()]
    lines.append("# PowerShell: " + "; ".join(f'$env:{k}="{v}"' for k, v in env.items()))
    return "\n".join(lines)


def cmd_up(args: argparse.Namespace) -> int:
    state, started = lifecycle.start(region=args.region)
    verb = "started" if started else "already running"
    print(
        f"# local cloud {verb}: {state.endpoint_url} (pid {state.pid}, account {state.account_id}, "
        f"region {state.region}, AWS timing {state.timing.summary()})"
    )
    print(_exports(state))
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    state = lifecycle.status()
    if state is None:
        print("# " + _("the local cloud is not running: start it with `python -m workshop_lib up`"), file=sys.stderr)
        return 1
    print(_exports(state))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = lifecycle.status()
    if state is None:
        print(_("local cloud: not running"))
        return 3
    print(
        _("local cloud: running at {url} (pid {pid}, account {account}, region {region})").format(
            url=state.endpoint_url, pid=state.pid, account=state.account_id, region=state.region
        )
    )
    print(_("AWS timing: {timing}").format(timing=state.timing.summary()))
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    print(_("local cloud: stopped") if lifecycle.stop() else _("local cloud: was not running"))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    import os

    up = sub.add_parser("up", help="start the local cloud in the background (or reuse the running one)")
    up.add_argument("--region", default=os.environ.get(ENV_REGION) or DEFAULT_REGION)
    up.set_defaults(func=cmd_up)
    sub.add_parser("env", help="print the AWS_* variables that point at the running local cloud").set_defaults(
        func=cmd_env
    )
    sub.add_parser("status", help="say whether the local cloud runs").set_defaults(func=cmd_status)
    sub.add_parser("down", help="stop the local cloud and every process it started").set_defaults(func=cmd_down)


def run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except WorkshopError as exc:
        print(_("error: {error}").format(error=exc), file=sys.stderr)
        return 2
