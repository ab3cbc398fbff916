"""The dialplan and the Python constants name the same contexts, variables and routes."""

import re
from pathlib import Path

import pytest

from wire import names

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
DIALPLAN = (ROOT / "dialplans/extensions.conf").read_text()
PJSIP = (ROOT / "asterisk-config/pjsip.conf").read_text()


def test_every_context_in_the_dialplan_is_a_named_constant():
    contexts = set(re.findall(r"^\[([a-z-]+)\]", DIALPLAN, re.M)) - {"general", "globals"}
    constants = {v for k, v in vars(names).items() if k.startswith("CTX_")}
    assert contexts == constants


def test_variables_and_routes_used_by_the_dialplan_exist_in_python():
    for route in (
        names.AGI_ROUTE_IVR,
        names.AGI_ROUTE_ACD_ENQUEUE,
        names.AGI_ROUTE_ACD_ANNOUNCE,
        names.AGI_ROUTE_ACD_CALLBACK,
        names.AGI_ROUTE_AGENT,
    ):
        assert re.search(rf"AGI\(agi://\$\{{{names.VAR_AGI_TARGET}\}}/{route}[,)]", DIALPLAN), route
    for var in (
        names.VAR_NEXT,
        names.VAR_AGENT_TARGETS,
        names.VAR_AGI_STATUS,
        names.VAR_INTENT,
        names.VAR_SKILLS,
        names.VAR_HANDOFF,
    ):
        assert "${" + var + "}" in DIALPLAN, var
    assert f'"{names.NEXT_PERSON}"' in DIALPLAN and f'"{names.NEXT_HANGUP}"' in DIALPLAN
    assert names.CDR_PATH in DIALPLAN and names.CDR_DID in DIALPLAN
    cdr_manager = (ROOT / "asterisk-config/cdr_manager.conf").read_text()
    for cdr_var in (names.CDR_PATH, names.CDR_LANGUAGE, names.CDR_DID):
        assert cdr_var[4:-1] + " => " in cdr_manager
    for glob in (
        names.GLOBAL_ALL_AGENTS,
        names.GLOBAL_AGENT_RING,
        names.GLOBAL_AGI_TARGETS,
        names.GLOBAL_ACD_ANNOUNCE_EVERY,
    ):
        assert f"{glob} = " in DIALPLAN


def test_pjsip_contexts_come_from_the_constants():
    assert "names.CTX_CARRIER" in PJSIP and "names.CTX_AGENTS" in PJSIP
