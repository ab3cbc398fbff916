"""The prompt store under rendering faults, with the real espeak-ng and sox: a TTS step that
produces no audio on its first tries is retried with backoff and the caller still hears the
prompt; concurrent requests for one text render it once; a temporary folder that cannot be
removed does not fail the rendering; start-up survives a prompt that never renders."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.caller import CallerIO, Say
from ivr.handoff import Handoff
from ivr.menu import Language, load_menu_tree
from ivr.prompts import PromptError, PromptStore, RenderRetry
from ivr.sentences import warm_texts
from tests.unit.fakes import FakeChannel

pytestmark = pytest.mark.integration


class FlakySpeaker:
    """The real espeak-ng step of ``store``, producing no audio for its first ``fails`` tries
    of each text in ``flaky`` (every text when ``flaky`` is None)."""

    def __init__(self, fails: int, flaky: set[str] | None = None) -> None:
        self.fails = fails
        self.flaky = flaky
        self.tries: dict[str, int] = {}
        self.store: PromptStore | None = None

    def __call__(self, language: Language, text: str, path: Path) -> None:
        self.tries[text] = self.tries.get(text, 0) + 1
        if (self.flaky is None or text in self.flaky) and self.tries[text] <= self.fails:
            return  # like espeak-ng now and then: no file at all
        assert self.store is not None
        self.store._espeak(language, text, path)


def _store(tmp_path: Path, speaker: FlakySpeaker, attempts: int = 4) -> PromptStore:
    store = PromptStore(
        tmp_path / "sounds",
        "/sounds",
        speak=speaker,
        retry=RenderRetry(attempts=attempts, first_wait=0.01, max_wait=0.05),
    )
    speaker.store = store
    return store


def _seconds(path: Path) -> float:
    out = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


async def test_a_renderer_that_fails_twice_still_produces_the_prompt_and_the_call_goes_on(
    tmp_path: Path,
) -> None:
    speaker = FlakySpeaker(fails=2)
    store = _store(tmp_path, speaker)
    tree = load_menu_tree()
    channel = FakeChannel(keys=deque(["1"]))
    io = CallerIO(channel, tree, store, "it.1", Handoff("person"))
    io.language = "en"
    key = await io.choose("test", (Say("invalid"),), "12")
    assert key == "1"
    invalid = tree.texts["invalid"].text("en")
    assert speaker.tries[invalid] == 3
    played = Path(tmp_path / "sounds" / (channel.played[0].rsplit("/", 1)[1] + ".wav"))
    assert _seconds(played) > 0.5
    store.close()


async def test_a_prompt_that_fails_every_try_raises_prompt_error(tmp_path: Path) -> None:
    speaker = FlakySpeaker(fails=10)
    store = _store(tmp_path, speaker, attempts=3)
    with pytest.raises(PromptError, match="not rendered"):
        await store.ensure("en", "Never rendered.")
    assert speaker.tries["Never rendered."] == 3
    store.close()


async def test_concurrent_requests_for_one_text_render_it_once(tmp_path: Path) -> None:
    speaker = FlakySpeaker(fails=1)
    store = _store(tmp_path, speaker)
    text = "您的保单已经到期。"
    names = await asyncio.gather(*(store.ensure("zh", text) for _ in range(8)))
    assert len(set(names)) == 1
    assert speaker.tries == {text: 2}  # one rendering (its failed try and its retry) for all
    store.close()


@pytest.fixture
def stuck_files() -> Iterator[list[Path]]:
    stuck: list[Path] = []
    yield stuck
    for path in stuck:
        subprocess.run(["chattr", "-i", str(path)], check=False, capture_output=True)
        path.parent.chmod(0o700)
        shutil.rmtree(path.parent.parent)  # the store's scratch folder, left behind


async def test_a_temporary_folder_that_cannot_be_removed_does_not_fail_the_rendering(
    tmp_path: Path, stuck_files: list[Path]
) -> None:
    speaker = FlakySpeaker(fails=0)
    store = _store(tmp_path, speaker)
    real = speaker.__call__

    def speak_and_leave_a_file(language: Language, text: str, path: Path) -> None:
        real(language, text, path)
        stuck = path.parent / "late" / "espeak.part"  # what espeak-ng left behind
        stuck.parent.mkdir()
        stuck.write_bytes(b"x")
        stuck_files.append(stuck)
        if os.geteuid() == 0:  # root removes anything but an immutable file
            subprocess.run(["chattr", "+i", str(stuck)], check=True)
        else:
            stuck.parent.chmod(0o500)

    store._speak = speak_and_leave_a_file
    name = await store.ensure("en", "The folder stays behind.")
    assert speaker.tries == {"The folder stays behind.": 1}
    assert _seconds(tmp_path / "sounds" / (name.rsplit("/", 1)[1] + ".wav")) > 0.5
    assert stuck_files[0].exists()  # the cleanup did fail, and nobody heard about it
    store.close()


async def test_start_up_survives_a_prompt_that_never_renders_and_renders_it_later(
    tmp_path: Path,
) -> None:
    tree = load_menu_tree()
    goodbye = tree.prompts.goodbye.text("en")
    speaker = FlakySpeaker(fails=4, flaky={goodbye})
    store = _store(tmp_path, speaker, attempts=2)
    ready = await store.warm(tree)
    assert ready == len(warm_texts(tree)) - 1  # every text but the goodbye
    with pytest.raises(PromptError):
        await store.ensure("en", goodbye)  # tries 3 and 4 fail as well
    name = await store.ensure("en", goodbye)  # the fifth try, on first use
    assert (tmp_path / "sounds" / (name.rsplit("/", 1)[1] + ".wav")).is_file()
    store.close()


async def test_a_silent_rendering_is_retried_like_a_missing_one(tmp_path: Path) -> None:
    speaker = FlakySpeaker(fails=0)
    store = _store(tmp_path, speaker)
    real = speaker.__call__

    def silence_first(language: Language, text: str, path: Path) -> None:
        if not speaker.tries:
            speaker.tries[text] = 1  # a WAV of one second of silence, as a glitch may write
            subprocess.run(["sox", "-n", "-r", "22050", str(path), "trim", "0", "1"], check=True)
            return
        real(language, text, path)

    store._speak = silence_first
    name = await store.ensure("en", "Silence first.")
    assert speaker.tries == {"Silence first.": 2}
    assert _seconds(tmp_path / "sounds" / (name.rsplit("/", 1)[1] + ".wav")) > 0.3
    store.close()
