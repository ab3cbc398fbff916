"""Call-control commands (``wire.commands``) through the in-memory AMI: the exact fields each
action crosses the wire with, the escaping of an Originate's variables and a caller ID's name,
and the refusal of control characters, with a stable code, before anything is sent."""

from __future__ import annotations

import pytest

from tests.fake_ami import FakeAmi
from wire.commands import (
    CallerId,
    CliCommand,
    GetVar,
    HangupChannel,
    Originate,
    Redirect,
    SetVar,
    escape_list_value,
    set_vars,
    variable_list,
)
from wire.errors import AmiError, UnsafeValue

pytestmark = pytest.mark.unit


async def test_originate_fields_are_exact() -> None:
    ami = FakeAmi()
    await ami.send(
        Originate(
            channel="PJSIP/9001",
            context="supervise",
            timeout_ms=30000,
            caller_id=CallerId("listen 8001", "8001"),
            channel_id="spy-abc",
            variables={"SPY_ID": "7", "SPY_TARGET": "PJSIP/8001-00000011"},
        )
    )
    assert ami.actions == [
        (
            "Originate",
            {
                "Channel": "PJSIP/9001",
                "Context": "supervise",
                "Exten": "s",
                "Priority": "1",
                "Timeout": "30000",
                "CallerID": '"listen 8001" <8001>',
                "ChannelId": "spy-abc",
                "Variable": "SPY_ID=7,SPY_TARGET=PJSIP/8001-00000011",
                "Async": "true",
            },
        )
    ]


async def test_a_local_originate_names_both_halves_and_may_wait_for_the_answer() -> None:
    ami = FakeAmi()
    await ami.send(
        Originate(
            "Local/s@acd-callback-ring",
            "acd-callback-customer",
            channel_id="c1-cb",
            other_channel_id="c1-cb2",
            asynchronous=False,
        )
    )
    assert ami.sent("Originate") == [
        {
            "Channel": "Local/s@acd-callback-ring",
            "Context": "acd-callback-customer",
            "Exten": "s",
            "Priority": "1",
            "ChannelId": "c1-cb",
            "OtherChannelId": "c1-cb2",
        }
    ]


async def test_an_originate_may_run_an_application_instead() -> None:
    ami = FakeAmi()
    await ami.send(Originate("Local/s@ivr-entry", application="Wait", data="600"))
    assert ami.sent("Originate") == [
        {"Channel": "Local/s@ivr-entry", "Application": "Wait", "Data": "600", "Async": "true"}
    ]


async def test_redirect_setvar_hangup_getvar_and_cli_fields() -> None:
    ami = FakeAmi(variables={("PJSIP/carrier-1", "CDR(ivr_path)"): "language:1>main:0"})
    await ami.send(Redirect("PJSIP/carrier-1", "acd-deliver"))
    await ami.send(Redirect("PJSIP/9001-1", "supervise", "spy", 2))
    for setvar in set_vars("PJSIP/carrier-1", {"ACD_AGENT": "8001", "CDR(acd_vip)": "1"}):
        await ami.send(setvar)
    await ami.send(SetVar("AGI_TARGETS", "127.0.0.1:4573"))  # a global
    await ami.send(HangupChannel("PJSIP/9001-1"))
    await ami.send(HangupChannel("PJSIP/9001-2", cause=21))
    path = await ami.get_var(GetVar("CDR(ivr_path)", "PJSIP/carrier-1"))
    state = await ami.get_var(GetVar("DEVICE_STATE(PJSIP/9001)"))
    await ami.send(CliCommand("pjsip reload"))
    assert (path, state) == ("language:1>main:0", "")
    assert ami.actions == [
        ("Redirect", {"Channel": "PJSIP/carrier-1", "Context": "acd-deliver", "Exten": "s",
                      "Priority": "1"}),
        ("Redirect", {"Channel": "PJSIP/9001-1", "Context": "supervise", "Exten": "spy",
                      "Priority": "2"}),
        ("Setvar", {"Channel": "PJSIP/carrier-1", "Variable": "ACD_AGENT", "Value": "8001"}),
        ("Setvar", {"Channel": "PJSIP/carrier-1", "Variable": "CDR(acd_vip)", "Value": "1"}),
        ("Setvar", {"Variable": "AGI_TARGETS", "Value": "127.0.0.1:4573"}),
        ("Hangup", {"Channel": "PJSIP/9001-1", "Cause": "16"}),
        ("Hangup", {"Channel": "PJSIP/9001-2", "Cause": "21"}),
        ("Getvar", {"Channel": "PJSIP/carrier-1", "Variable": "CDR(ivr_path)"}),
        ("Getvar", {"Variable": "DEVICE_STATE(PJSIP/9001)"}),
        ("Command", {"Command": "pjsip reload"}),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("plain-value_1:2/3@x.y", "plain-value_1:2/3@x.y"),
        ("a,b", "a\\,b"),
        ("a|b", "a\\|b"),
        ('say "hi"', 'say \\"hi\\"'),
        ("C:\\x", "C:\\\\x"),
        ("f(x", "f\\(x"),  # an open bracket would swallow the variables after it
        ("[a]", "\\[a\\]"),
        ("", ""),
        ("张三", "张三"),
    ],
)
def test_a_variable_value_is_escaped_once(value: str, escaped: str) -> None:
    assert escape_list_value(value) == escaped


async def test_a_value_cannot_add_a_variable_of_its_own() -> None:
    ami = FakeAmi()
    number = "13800138000,ACD_AGENT=9999"
    await ami.send(Originate("Local/s@x", "y", variables={"NUMBER": number, "CDR(ivr_did)": "1"}))
    (fields,) = ami.sent("Originate")
    assert fields["Variable"] == "NUMBER=13800138000\\,ACD_AGENT=9999,CDR(ivr_did)=1"
    assert variable_list({}) == ""


def test_a_caller_id_name_is_quoted_with_its_quotes_escaped() -> None:
    assert CallerId('王 "VIP" \\ 1', "139").header() == '"王 \\"VIP\\" \\\\ 1" <139>'


@pytest.mark.parametrize(
    "command",
    [
        SetVar("ACD_AGENT", "8001\r\nAction: Hangup"),
        SetVar("ACD_AGENT", "8001", channel="PJSIP/1\n"),
        Redirect("PJSIP/1", "ctx\x00"),
        HangupChannel("PJSIP/1\r"),
        GetVar("X\x1b[2J"),
        CliCommand("core show channels\r\nAction: Logoff"),
        Originate("PJSIP/1", "ctx", variables={"A": "1\n2"}),
        Originate("PJSIP/1", "ctx", variables={"A\n": "1"}),
        Originate("PJSIP/1", "ctx", variables={"A=B": "1"}),
        Originate("PJSIP/1", "ctx", variables={"A,B": "1"}),
        Originate("PJSIP/1", "ctx", variables={"": "1"}),
        Originate("PJSIP/1", "ctx", caller_id=CallerId("x\ry", "1")),
        Originate("PJSIP/1", "ctx", caller_id=CallerId("x", "1\x7f")),
        Originate("PJSIP/1", "ctx", channel_id="dun-1\n"),
    ],
)
async def test_control_characters_and_bad_names_are_refused_with_a_code(command: object) -> None:
    ami = FakeAmi()
    with pytest.raises(UnsafeValue) as refused:
        if isinstance(command, GetVar):
            await ami.get_var(command)
        else:
            assert isinstance(command, SetVar | Redirect | HangupChannel | CliCommand | Originate)
            await ami.send(command)
    assert refused.value.code == "ami-unsafe-value"
    assert isinstance(refused.value, AmiError)  # callers' AMI error handling covers it
    assert ami.commands == []  # nothing was sent


async def test_a_refused_action_raises_the_ami_error_and_is_still_recorded() -> None:
    ami = FakeAmi(refuse={"Redirect"})
    with pytest.raises(AmiError) as failed:
        await ami.send(Redirect("PJSIP/1", "ctx"))
    assert failed.value.code == "ami-action-failed"
    assert ami.sent("Redirect") == [
        {"Channel": "PJSIP/1", "Context": "ctx", "Exten": "s", "Priority": "1"}
    ]
