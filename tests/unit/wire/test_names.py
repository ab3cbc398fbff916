"""The dialplan and the Python constants name the same contexts, variables, routes, events and
CDR fields: every name ``dialplans/`` uses is a constant of ``wire/names.py``, and every constant
there is used by ``dialplans/`` or ``asterisk-config/`` (or listed below as Python's own).

The names are read from the dialplan templates with regexes: ``[context]``, ``Set(NAME=``,
``${NAME}``, ``CDR(field)``, ``UserEvent(Name,Header: ...)``, ``AGI(agi://.../route`` and
``Gosub(agi-failover,s,1(route``, the ``[globals]``. A failing test prints the names that have
no counterpart."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from wire import names

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[3]
DIALPLAN = (ROOT / "dialplans/extensions.conf").read_text()
BENCH = (ROOT / "dialplans/bench.conf").read_text()
PJSIP = (ROOT / "asterisk-config/pjsip.conf").read_text()
CDR_MANAGER = (ROOT / "asterisk-config/cdr_manager.conf").read_text()
CDR_CUSTOM = (ROOT / "asterisk-config/cdr_custom.conf").read_text()

# Set by Asterisk itself (the channel, Dial(), AMD()), only read by the dialplan.
ASTERISK_VARIABLES = frozenset(
    {"EXTEN", "DIALSTATUS", "HANGUPCAUSE", "AMDSTATUS", "AMDCAUSE", "ARG1", "ARG2", "ARG3", "ARG4"}
)
# Scratch variables of one context ([to-person]'s ring loop, [agi-failover]'s tries), never
# seen outside the dialplan.
DIALPLAN_LOCALS = frozenset({"TARGETS", "ROUND", "TRIES"})
# Asterisk's own CDR fields, which the journal (cdr_custom.conf) writes beside ours.
ASTERISK_CDR_FIELDS = frozenset(
    {
        "linkedid",
        "uniqueid",
        "src",
        "dst",
        "dcontext",
        "channel",
        "dstchannel",
        "start",
        "answer",
        "end",
        "duration",
        "billsec",
        "disposition",
    }
)
# bench.conf's own names, used only by the benchmarks in bench/ (never in production).
BENCH_ONLY = {
    "context": {"bench"},
    "route": {"menu"},
    "event": {"BenchEnqueue"},
    "header": {"System"},
}
# Constants the dialplan never spells: prefixes of the channel ids and linkedids the controller
# makes up, and the variable the dialer sets on a dunning call for its own AGI route to read.
PYTHON_ONLY = frozenset(
    {
        "CALLBACK_SUFFIX",
        "SPY_CHANNEL_PREFIX",
        "DUNNING_PREFIX",
        "VAR_DUNNING_LANGUAGE",
        "VAR_ACD_CALL",
        "SPY_PATH",  # checked on its own below
    }
)
# Values the dialplan compares a controller's answer with (``"${IVR_NEXT}" = "person"``).
VALUES = frozenset({"NEXT_PERSON", "NEXT_HANGUP", "ACD_DELIVER", "ACD_WAIT", "SPY_NEXT_SPY"})
# Kind of name of each prefix of wire/names.py.
PREFIXES = {
    "CTX_": "context",
    "VAR_": "variable",
    "GLOBAL_": "global",
    "AGI_ROUTE_": "route",
    "USEREVENT_HEADER_": "header",
    "USEREVENT_": "event",
    "CDR_": "cdr",
    "EXTEN_": "exten",
}


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(";"))


def _globals(text: str) -> set[str]:
    section = re.search(r"^\[globals\]\n(.*?)(?=^\[)", text, re.M | re.S)
    return set(re.findall(r"^([A-Z][A-Z0-9_]*) = ", section.group(1), re.M)) if section else set()


def _user_events(text: str) -> tuple[set[str], set[str]]:
    events = re.findall(r"UserEvent\((\w+)((?:,[^,)]*)*)\)", text)
    headers = {h for _, fields in events for h in re.findall(r",\s*(\w+):", fields)}
    return {name for name, _ in events}, headers


def dialplan_names(text: str) -> dict[str, set[str]]:
    """Every name a dialplan template uses, by kind."""
    text = _without_comments(text)
    events, headers = _user_events(text)
    return {
        "context": set(re.findall(r"^\[([\w-]+)\]", text, re.M)) - {"general", "globals"},
        "variable": set(re.findall(r"Set\(_{0,2}([A-Z][A-Z0-9_]*)=", text))
        | set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)[}:]", text)),
        "global": _globals(text),
        "route": set(re.findall(r"AGI\(agi://[^/]+/([\w-]+)", text))
        | set(re.findall(rf"Gosub\({names.CTX_AGI_FAILOVER},s,1\(([\w-]+)", text)),
        "event": events,
        "header": headers,
        "cdr": set(re.findall(r"CDR\((\w+)\)", text)),
        "exten": set(re.findall(r"^exten => ([\w*#+.-]+),", text, re.M)),
    }


def _merged(*found: dict[str, set[str]]) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for kinds in found:
        for kind, values in kinds.items():
            merged.setdefault(kind, set()).update(values)
    return merged


def _kind(constant: str) -> str | None:
    return next((kind for prefix, kind in PREFIXES.items() if constant.startswith(prefix)), None)


def _name(constant: str, value: str) -> str:
    """The name as the dialplan spells it: ``CDR(ivr_path)`` is the field ``ivr_path``."""
    return value[4:-1] if _kind(constant) == "cdr" else value


def constants() -> dict[str, str]:
    return {k: v for k, v in vars(names).items() if k.isupper() and isinstance(v, str)}


def named() -> dict[str, set[str]]:
    """The names wire/names.py declares, by kind."""
    by_kind: dict[str, set[str]] = {kind: set() for kind in PREFIXES.values()}
    for constant, value in constants().items():
        kind = _kind(constant)
        if kind is not None:
            by_kind[kind].add(_name(constant, value))
    return by_kind


def _report(missing: dict[str, Iterable[str]]) -> str:
    return "; ".join(f"{kind}: {', '.join(sorted(values))}" for kind, values in missing.items())


def test_every_name_the_dialplans_use_is_a_constant() -> None:
    used = _merged(dialplan_names(DIALPLAN), dialplan_names(BENCH))
    del used["exten"]  # the dialplan's own (feature codes, s, t, i); EXTEN_* are checked below
    known = named()
    allowed = {
        "variable": known["variable"] | known["global"] | ASTERISK_VARIABLES | DIALPLAN_LOCALS,
        "cdr": known["cdr"] | ASTERISK_CDR_FIELDS,
    }
    missing = {
        kind: values - allowed.get(kind, known[kind]) - BENCH_ONLY.get(kind, set())
        for kind, values in used.items()
    }
    missing = {kind: values for kind, values in missing.items() if values}
    assert not missing, f"dialplan names with no constant in wire/names.py: {_report(missing)}"


def _used_in_config() -> dict[str, set[str]]:
    """Names asterisk-config/ uses: contexts rendered from the constants, CDR fields mapped."""
    contexts = {
        names_value
        for constant in re.findall(r"names\.(\w+)", PJSIP)
        if (names_value := constants().get(constant)) is not None
    }
    cdr_fields = set(re.findall(r"^(\w+) => ", CDR_MANAGER, re.M))
    return {"context": contexts, "cdr": cdr_fields | set(re.findall(r"CDR\((\w+)\)", CDR_CUSTOM))}


def test_every_constant_is_used_by_a_dialplan_or_the_config() -> None:
    used = _merged(dialplan_names(DIALPLAN), _used_in_config())
    unused: dict[str, list[str]] = {}
    for constant, value in constants().items():
        kind = _kind(constant)
        if constant in PYTHON_ONLY:
            continue
        if constant in VALUES:
            found = f'"{value}"' in DIALPLAN
        else:
            found = kind is not None and _name(constant, value) in used.get(kind, set())
        if not found:
            unused.setdefault(kind or "unclassified", []).append(f"{constant}={value!r}")
    assert not unused, f"wire/names.py constants no dialplan or config uses: {_report(unused)}"


def test_the_spy_leg_sets_the_path_call_records_know_it_by() -> None:
    supervise = DIALPLAN.split(f"\n[{names.CTX_SUPERVISE}]\n", 1)[1].split("\n[", 1)[0]
    assert f"Set({names.CDR_PATH}={names.SPY_PATH})" in supervise


def test_the_python_only_and_value_lists_name_real_constants() -> None:
    assert constants().keys() >= PYTHON_ONLY | VALUES
    assert all(_kind(constant) is None for constant in VALUES)


def test_every_context_in_the_dialplan_is_a_named_constant() -> None:
    contexts = dialplan_names(DIALPLAN)["context"]
    assert contexts == named()["context"]


def test_the_dialplans_jump_only_to_their_contexts() -> None:
    defined = dialplan_names(DIALPLAN)["context"] | dialplan_names(BENCH)["context"]
    text = _without_comments(DIALPLAN + BENCH)
    targets = set(re.findall(r"([a-z][\w-]*),(?:s|spy),1\b", text))
    targets |= set(re.findall(r"^include => ([\w-]+)", text, re.M))
    assert targets, "no Goto / Gosub / include found: the regex is out of date"
    assert targets <= defined, f"jumps to undefined contexts: {sorted(targets - defined)}"


def test_bench_names_stay_in_bench_conf() -> None:
    production = dialplan_names(DIALPLAN)
    leaked = {kind: production.get(kind, set()) & values for kind, values in BENCH_ONLY.items()}
    assert not any(leaked.values()), f"bench-only names in extensions.conf: {leaked}"


def test_the_extraction_sees_every_kind_of_name() -> None:
    """The regexes still match the dialplan's spelling (a test of the test)."""
    used = dialplan_names(DIALPLAN)
    assert names.VAR_SPY_TARGET in used["variable"]  # ${SPY_TARGET}
    assert names.VAR_ACD_FEATURE in used["variable"]  # Set(ACD_FEATURE=...)
    assert names.GLOBAL_AGI_TARGETS in used["global"]
    assert names.AGI_ROUTE_DUNNING in used["route"]
    assert names.USEREVENT_DUNNING_AMD in used["event"]
    assert names.USEREVENT_HEADER_SPY_ID in used["header"]
    assert names.CDR_HANGUP_CAUSE[4:-1] in used["cdr"]
    assert names.EXTEN_SPY in used["exten"]


ROUTES = (
    names.AGI_ROUTE_IVR,
    names.AGI_ROUTE_ACD_ENQUEUE,
    names.AGI_ROUTE_ACD_ANNOUNCE,
    names.AGI_ROUTE_ACD_CALLBACK,
    names.AGI_ROUTE_AGENT,
    names.AGI_ROUTE_SPY,
    names.AGI_ROUTE_DUNNING,
)


def _section(context: str) -> str:
    found = re.search(
        rf"^\[{re.escape(context)}\]\n(.*?)(?=^\[|\Z)", _without_comments(DIALPLAN), re.M | re.S
    )
    assert found, f"no [{context}] in extensions.conf"
    return found.group(1)


def test_routes_are_served_by_the_controller_through_the_failover_helper() -> None:
    """Finding 2 of issue 12: every AGI call site tries the other controllers."""
    for route in ROUTES:
        assert re.search(rf"Gosub\({names.CTX_AGI_FAILOVER},s,1\({route}[,)]", DIALPLAN), route


def test_the_only_fastagi_call_is_the_failover_helpers() -> None:
    """A call site that spells AGI(agi://...) itself would skip the other controllers."""
    calls = re.findall(r"AGI\(agi://[^)]*\)", _without_comments(DIALPLAN))
    helper = f"AGI(agi://${{{names.VAR_AGI_TARGET}}}/${{ARG1}},${{ARG2}},${{ARG3}},${{ARG4}})"
    assert calls == [helper]
    assert helper in _section(names.CTX_AGI_FAILOVER)


def test_the_helper_tries_the_next_controller_only_when_the_connection_failed() -> None:
    body = _section(names.CTX_AGI_FAILOVER)
    steps = re.findall(r"^(?:exten => s,1|\s*same => n(?:\((\w+)\))?),(.*)$", body, re.M)
    apps = [step for _, step in steps]
    agi = next(i for i, step in enumerate(apps) if step.startswith("AGI("))
    # straight after the session: anything but FAILURE (a session that ran) returns at once
    assert apps[agi + 1] == f'GotoIf($["${{{names.VAR_AGI_STATUS}}}" != "FAILURE"]?done)'
    # one try per controller, then the next one in the list, and again
    assert apps[agi + 2] == f"GotoIf($[${{TRIES}} >= ${{{names.GLOBAL_AGI_TARGET_COUNT}}}]?done)"
    assert f"Gosub({names.CTX_NEXT_CONTROLLER},s,1)" in apps[agi + 3 :]
    assert apps[-2:] == ["Goto(try)", "Return()"]
    assert ("try", f"Set({names.VAR_AGI_FAILED}=)") in steps  # no stale verdict of a session
    assert apps[0] == (
        f'GosubIf($["${{{names.VAR_AGI_TARGET}}}" = ""]?{names.CTX_PICK_CONTROLLER},s,1)'
    )


def test_the_next_controller_goes_round_the_list() -> None:
    body = _section(names.CTX_NEXT_CONTROLLER)
    index, count = names.VAR_AGI_TARGET_INDEX, names.GLOBAL_AGI_TARGET_COUNT
    assert f"% ${{{count}}} + 1])" in body and f"Set(__{index}=" in body
    assert (
        f"Set(__{names.VAR_AGI_TARGET}=${{CUT({names.GLOBAL_AGI_TARGETS},&,${{{index}}})}})" in body
    )


def test_a_dead_controller_mid_ivr_resumes_on_the_next_one_but_not_a_deliberate_failure() -> None:
    apps = [
        step
        for _, step in re.findall(
            r"^(exten => s,1|\s*same => n(?:\(\w+\))?),(.*)$", _section(names.CTX_IVR), re.M
        )
    ]
    fallback = f"?{names.CTX_FALLBACK},s,1)"
    run = apps.index(f"Gosub({names.CTX_AGI_FAILOVER},s,1({names.AGI_ROUTE_IVR}))")
    resume = apps.index(f"Gosub({names.CTX_NEXT_CONTROLLER},s,1)")
    checks = apps[run + 1 : resume]
    decided = [i for i, step in enumerate(checks) if names.VAR_NEXT in step]
    no_controller = checks.index(f'GotoIf($["${{{names.VAR_AGI_STATUS}}}" != "SUCCESS"]{fallback}')
    on_purpose = checks.index(f'GotoIf($["${{{names.VAR_AGI_FAILED}}}" != ""]{fallback}')
    resumes, count = names.VAR_RESUMES, names.GLOBAL_AGI_TARGET_COUNT
    bounded = checks.index(f"GotoIf($[${{{resumes}}} + 1 >= ${{{count}}}]{fallback}")
    assert max(decided) < no_controller < resume and on_purpose < resume and bounded < resume
    assert f"Set({resumes}=$[${{{resumes}}} + 1])" in checks
    assert apps[resume + 1] == "Goto(run)" and apps[run - 1] == f"Set({resumes}=0)"


def test_every_cdr_field_of_ours_reaches_the_cdr_event_and_the_journal() -> None:
    mapped = set(re.findall(r"^(\w+) => ", CDR_MANAGER, re.M))
    journal = set(re.findall(r"CDR\((\w+)\)", CDR_CUSTOM))
    ours = named()["cdr"]
    assert ours <= mapped, sorted(ours - mapped)
    assert ours <= journal, sorted(ours - journal)


def test_pjsip_contexts_come_from_the_constants() -> None:
    assert "names.CTX_CARRIER" in PJSIP and "names.CTX_AGENTS" in PJSIP


def _first_steps(context: str) -> list[tuple[str, str]]:
    """(extension, its priority 1) of every extension of ``context`` in extensions.conf."""
    section = re.search(
        rf"^\[{re.escape(context)}\]\n(.*?)(?=^\[|\Z)", _without_comments(DIALPLAN), re.M | re.S
    )
    assert section, f"no [{context}] in extensions.conf"
    return re.findall(r"^exten => ([^,]+),1,(.*)$", section.group(1), re.M)


@pytest.mark.security
def test_every_call_from_outside_cleans_the_caller_id_in_its_first_step() -> None:
    """Finding 1: PJSIP decodes %0d%0a in a From user; whatever enters from outside has its
    number filtered to + and digits and its name stripped of control characters first."""
    clean = f"Gosub({names.CTX_CALLER_CLEAN},s,1)"
    assert f"context = {{{{ names.{'CTX_CARRIER'} }}}}" in PJSIP  # the trunk lands there
    for context in names.INBOUND_CONTEXTS:
        steps = _first_steps(context)
        assert steps, f"no extension found in [{context}]: the regex is out of date"
        dirty = [exten for exten, step in steps if step != clean]
        assert not dirty, f"[{context}] extensions not starting with {clean}: {dirty}"


@pytest.mark.security
def test_the_caller_id_is_filtered_to_digits_and_printable_text() -> None:
    (_, step), *_ = _first_steps(names.CTX_CALLER_CLEAN)
    section = re.search(r"^\[caller-clean\]\n(.*?)(?=^\[|\Z)", DIALPLAN, re.M | re.S)
    assert section
    body = section.group(1)
    assert step == "Set(CALLERID(num)=${FILTER(+0123456789,${CALLERID(num)}):0:32})"
    assert "Set(CALLERID(ani)=${FILTER(+0123456789,${CALLERID(ani)}):0:32})" in body
    assert r"Set(CALLERID(name)=${FILTER(\x20-\x7e\x80-\xff,${CALLERID(name)})})" in body
    assert re.search(r"same => n,Return\(\)", body)
