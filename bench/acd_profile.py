"""Where our ACD's time goes between enqueue and the agent's INVITE, for the calls that found an
agent free: from a timeline recorded with every dialplan step and AGI command (AmiTimeline with
``profile``). Phases, per call, then their medians:

- dialplan to AGI: the BenchEnqueue event to acd-wait's AGI() starting;
- AGI set-up: AGI() starting to the controller's first command (connect, environment, the
  controller reading it);
- commands: Asterisk executing the AGI commands (AGIExecStart to AGIExecEnd, summed);
- controller: between one command's end and the next one's start (the controller deciding:
  Python, Redis, the CRM), summed, and per step, named by the command that follows;
- AGI end: the last command's end to the dialplan's next step (the controller hangs up);
- to Dial: that step to Dial() in acd-deliver, and Dial() to DialBegin. Pure."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence

from bench.acd_metrics import CallTimeline
from bench.ami_timeline import Stamp


def _phases(call: CallTimeline, stamps: Sequence[Stamp]) -> dict[str, float]:
    agi_start = next(s.at for s in stamps if s.event == "Newexten" and s.name.endswith(" AGI"))
    dial = next(s.at for s in stamps if s.event == "Newexten" and s.name.endswith(" Dial"))
    starts = [s for s in stamps if s.event == "AGIExecStart"]
    ends = [s for s in stamps if s.event == "AGIExecEnd"]
    after_agi = next(s.at for s in stamps if s.event == "Newexten" and s.at > ends[-1].at)
    phases = {
        "dialplan to AGI()": agi_start - call.enqueued,
        "AGI set-up to 1st command": starts[0].at - agi_start,
        "Asterisk running commands": sum(e.at - s.at for s, e in zip(starts, ends, strict=False)),
        "controller between commands": sum(
            s.at - e.at for e, s in zip(ends, starts[1:], strict=False)
        ),
        "AGI end to next step": after_agi - ends[-1].at,
        "next step to Dial()": dial - after_agi,
        "Dial() to DialBegin": call.rings[0].at - dial,
    }
    for number, (end, start) in enumerate(zip(ends, starts[1:], strict=False), 2):
        command = " ".join(start.name.split()[:3])[:30]  # the verb and the variable, no value
        phases[f"  before command {number:2d} {command}"] = start.at - end.at
    return phases


def breakdown(calls: Iterable[CallTimeline], stamps: Sequence[Stamp]) -> list[tuple[str, float]]:
    """Median milliseconds per phase over ``calls`` (those with a complete profile)."""
    by_call: dict[str, list[Stamp]] = defaultdict(list)
    for stamp in sorted(stamps, key=lambda s: s.at):
        by_call[stamp.linkedid].append(stamp)
    samples: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        mine = [s for s in by_call[call.linkedid] if s.at <= call.rings[0].at]
        try:
            phases = _phases(call, mine)
        except (StopIteration, IndexError):
            continue
        for name, seconds in phases.items():
            samples[name].append(seconds * 1000)
    return [(name, statistics.median(values)) for name, values in samples.items()]
