import pytest

from ivr.decisions import Ask, RunFlow, ToPerson, decide, path_text, start
from ivr.menu import load_menu_tree

pytestmark = pytest.mark.unit

TREE = load_menu_tree()


def walk(keys):
    state, step = start(TREE), Ask()
    for key in keys:
        state, step = decide(TREE, state, key)
    return state, step


def test_english_then_zero_reaches_a_person_and_records_the_path():
    state, step = walk(["2", "0"])
    assert step == ToPerson()
    assert state.language == "en"
    assert path_text(state, "person") == "language:2>main:0>person"


def test_mandarin_sets_the_language():
    state, step = walk(["1"])
    assert (state.menu, state.language, step) == ("main", "zh", Ask())


def test_zero_reaches_a_person_from_the_language_menu_too():
    state, step = walk(["0"])
    assert isinstance(step, ToPerson)
    assert state.path == ("language:0",)


def test_invalid_key_gives_a_reason_and_a_retry():
    state, step = walk(["2", "7"])
    assert step == Ask(reason="invalid")
    assert state.failures == 1 and state.menu == "main"


def test_silence_three_times_goes_to_a_person():
    state, step = walk(["2", None, None, None])
    assert isinstance(step, ToPerson)
    assert path_text(state) == "language:2>main:retries"


def test_a_valid_key_resets_the_failure_count():
    state, _ = walk([None, "9", "2"])
    assert state.failures == 0 and state.menu == "main"


def test_star_goes_back_one_level():
    state, step = walk(["2", "*"])
    assert (state.menu, step) == ("language", Ask())
    state, step = walk(["*"])
    assert state.menu == "language"


def test_a_main_menu_service_runs_its_flow_and_stays_in_the_menu():
    state, step = walk(["1", "3"])
    assert step == RunFlow("premium")
    assert state.menu == "main" and state.path[-1] == "main:3"
