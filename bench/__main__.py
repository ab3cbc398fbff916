"""Run every benchmark: ``python -m bench [--quick] [--only NAME ...]``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable

from bench import (
    acd_peer,
    agi_load,
    agi_sessions,
    ami_resync,
    dialer,
    ivr_peer,
    prompts,
    recovery,
    routing,
)

BENCHMARKS: dict[str, Callable[[bool], Awaitable[None]]] = {
    "acd_peer": acd_peer.main,
    "agi_sessions": lambda _quick: agi_sessions.main(),
    "agi_load": agi_load.main,
    "ami_resync": ami_resync.main,
    "dialer": dialer.main,
    "ivr_peer": ivr_peer.main,
    "prompts": prompts.main,
    "recovery": recovery.main,
    "routing": routing.main,
}


async def _run(names: list[str], quick: bool) -> None:
    for name in names:
        await BENCHMARKS[name](quick)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs, fewer steps")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(BENCHMARKS), default=list(BENCHMARKS), metavar="NAME"
    )
    args = parser.parse_args()
    asyncio.run(_run(args.only, args.quick))


if __name__ == "__main__":
    main()
