"""The IVR's next-step decision: a pure function over the menu tree and the session so far."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ivr.menu import LANGUAGES, Language, MenuTree

PERSON_KEY = "0"
BACK_KEY = "*"
RESUMED = "resume"  # the step a resumed session adds to the path (its controller died)


@dataclass(frozen=True)
class SessionState:
    menu: str
    language: Language | None = None
    path: tuple[str, ...] = ()
    stack: tuple[str, ...] = ()
    failures: int = 0


@dataclass(frozen=True)
class Ask:
    """Play the current menu (after an optional reason) and collect one key."""

    reason: str | None = None  # "invalid" / "no_input"


@dataclass(frozen=True)
class ToPerson:
    service: str | None = None


@dataclass(frozen=True)
class RunFlow:
    """Run a self-service flow; when it ends, the caller is back in this menu."""

    flow: str


Step = Ask | ToPerson | RunFlow


def start(tree: MenuTree) -> SessionState:
    return SessionState(menu=tree.start)


@dataclass(frozen=True)
class Resumed:
    """What the CDR kept of a session whose controller died mid-call: the path shown so far
    (``language:1>main``) and the caller's language ("" when none was chosen)."""

    path: str
    language: str = ""


def resume(tree: MenuTree, resumed: Resumed) -> tuple[SessionState, tuple[str, ...]]:
    """Where a session resumed on another controller starts, and the path so far (with the
    resume noted): the menu the caller's language choice leads to, in that language; with no
    (or an unknown) language, the start menu again."""
    steps = (*[s for s in resumed.path.split(">") if s], RESUMED)
    language = next((lang for lang in LANGUAGES if lang == resumed.language), None)
    if language is None:
        return start(tree), steps
    chosen = tree.menus[tree.start].options.values()
    menu = next((o.goto for o in chosen if o.language == language and o.goto), tree.start)
    return SessionState(menu=menu, language=language), steps


def decide(tree: MenuTree, state: SessionState, key: str | None) -> tuple[SessionState, Step]:
    """``key`` is the digit the caller pressed, or None for silence."""
    if key is None or key == "":
        return _failure(tree, state, "no_input")
    if key == PERSON_KEY and PERSON_KEY not in tree.menus[state.menu].options:
        return _record(state, key), ToPerson()
    if key == BACK_KEY:
        return _back(state), Ask()
    option = tree.menus[state.menu].options.get(key)
    if option is None:
        return _failure(tree, state, "invalid")
    moved = _record(state, key)
    if option.language is not None:
        moved = replace(moved, language=option.language)
    if option.person:
        return moved, ToPerson(service=option.service)
    if option.flow is not None:
        return replace(moved, failures=0), RunFlow(option.flow)
    assert option.goto is not None
    return replace(moved, menu=option.goto, stack=(*state.stack, state.menu), failures=0), Ask()


def _record(state: SessionState, key: str) -> SessionState:
    return replace(state, path=(*state.path, f"{state.menu}:{key}"))


def _back(state: SessionState) -> SessionState:
    recorded = _record(state, BACK_KEY)
    if not state.stack:
        return replace(recorded, failures=0)
    return replace(recorded, menu=state.stack[-1], stack=state.stack[:-1], failures=0)


def _failure(tree: MenuTree, state: SessionState, reason: str) -> tuple[SessionState, Step]:
    failed = replace(state, failures=state.failures + 1)
    if failed.failures >= tree.retries:
        return replace(failed, path=(*state.path, f"{state.menu}:retries")), ToPerson()
    return failed, Ask(reason=reason)


def path_text(state: SessionState, outcome: str | None = None) -> str:
    parts = list(state.path) + ([outcome] if outcome else [])
    return ">".join(parts)
