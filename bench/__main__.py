"""Run every benchmark: ``python -m bench``."""

from __future__ import annotations

import asyncio
import sys

from bench import agi_load, agi_sessions, ivr_peer


async def _all(quick: bool) -> None:
    await agi_sessions.main()
    await agi_load.main(quick)
    await ivr_peer.main(quick)


def main() -> None:
    asyncio.run(_all("--quick" in sys.argv))


if __name__ == "__main__":
    main()
