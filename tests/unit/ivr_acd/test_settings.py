from pathlib import Path

import pytest

from ivr_acd.settings import ConfigError, load_settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[3]


def test_the_example_file_is_valid_and_matches_the_defaults(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("IVR_ACD_CONFIG", raising=False)
    defaults = load_settings()
    from_file = load_settings(ROOT / "config.example.yaml")
    assert from_file.asterisk == defaults.asterisk
    assert from_file.controller == defaults.controller
    assert from_file.sandbox.cache_dir == defaults.sandbox.cache_dir
    assert from_file.web.port == 8080


def test_environment_beats_the_file(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IVR_ACD_WEB__PORT", "8181")
    assert load_settings(ROOT / "config.example.yaml").web.port == 8181


def test_bad_values_fail_at_start_up_with_a_clear_message(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("IVR_ACD_CONFIG", raising=False)
    monkeypatch.setenv("IVR_ACD_ASTERISK__SIP_PORT", "70000")
    with pytest.raises(ConfigError, match=r"asterisk\.sip_port"):
        load_settings()
    monkeypatch.setenv("IVR_ACD_ASTERISK__SIP_PORT", "5060")
    monkeypatch.setenv("IVR_ACD_ASTERISK__RTP_END", "100")
    with pytest.raises(ConfigError, match="rtp_end"):
        load_settings()


def test_a_missing_config_file_is_reported(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")
