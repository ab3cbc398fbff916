"""Run every benchmark: ``python -m bench``."""

from __future__ import annotations

import asyncio

from bench import agi_sessions


def main() -> None:
    asyncio.run(agi_sessions.main())


if __name__ == "__main__":
    main()
