"""Call-control commands, built once: each is a typed value whose :meth:`Command.fields` are the
AMI action's headers, every value checked and escaped here.

- A control character (CR, LF, NUL...) in any field would end the header and start another:
  it is refused with :class:`~wire.errors.UnsafeValue` (code ``ami-unsafe-value``), never sent.
- An Originate's ``Variable`` header is one ``name=value,name=value`` list that Asterisk splits
  like dialplan arguments: in each value ``\\`` ``,`` ``|`` ``"`` and the brackets are escaped
  with a backslash, so a value is set as it is and cannot add a variable of its own.
- A caller ID's name is quoted, its ``"`` and ``\\`` escaped.
- A number that a dial string will hold (:func:`dial_number`) is ``+`` and digits, nothing else.

Domain code sends them through the :class:`CallControl` port (``wire.ami.AmiClient``; an
in-memory fake in the tests) and never spells an action by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Final, Protocol

from wire.errors import UnsafeValue
from wire.replies import ChannelRow

HANGUP_NORMAL: Final = 16  # Asterisk's cause code: normal clearing

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LIST_SPECIAL = re.compile(r'([\\,|"()\[\]])')
_NAME_FORBIDDEN = re.compile(r'[\\,|"=\s]')
_QUOTED_SPECIAL = re.compile(r'([\\"])')
_DIAL_NUMBER = re.compile(r"\+?[0-9]{1,32}")


def check(name: str, value: str) -> str:
    """``value`` if it is safe in an AMI header, else :class:`UnsafeValue`."""
    if _CONTROL.search(value):
        raise UnsafeValue(name, value)
    return value


def dial_number(name: str, value: str) -> str:
    """``value`` if it is ``+`` and digits, else :class:`UnsafeValue`: for a number that ends up
    in a dial string (``PJSIP/<number>@carrier``, or a variable ``Dial()`` expands). Dial()
    splits its argument at ``&`` (one more channel to ring) and ``,`` (its options) after the
    variables are expanded, where no escaping of the ``Variable`` header helps."""
    if not _DIAL_NUMBER.fullmatch(value):
        raise UnsafeValue(name, value, "not a number to dial:")
    return value


def checked(fields: Mapping[str, str]) -> dict[str, str]:
    """Every header of an action checked (names too)."""
    return {check("header", name): check(name, value) for name, value in fields.items()}


def escape_list_value(value: str) -> str:
    """A value inside an AMI ``Variable=`` list, escaped so it reads back as given."""
    return _LIST_SPECIAL.sub(r"\\\1", check("Variable", value))


def variable_list(variables: Mapping[str, str]) -> str:
    """``name=value,...`` for an Originate's ``Variable`` header. A name is written as given
    (``CDR(ivr_did)`` sets through a dialplan function) and must be plain."""
    parts = []
    for name, value in variables.items():
        if not name or _NAME_FORBIDDEN.search(name) or _CONTROL.search(name):
            raise UnsafeValue("Variable", name)
        parts.append(f"{name}={escape_list_value(value)}")
    return ",".join(parts)


@dataclass(frozen=True)
class CallerId:
    name: str
    number: str

    def header(self) -> str:
        name = _QUOTED_SPECIAL.sub(r"\\\1", check("CallerID", self.name))
        return f'"{name}" <{check("CallerID", self.number)}>'


class Command:
    """An AMI action: its name and its headers."""

    action: ClassVar[str]

    def fields(self) -> dict[str, str]:
        raise NotImplementedError


@dataclass(frozen=True)
class Originate(Command):
    """Ring ``channel``; once answered it runs ``context``/``exten``/``priority``, or, given
    ``application``, that application with ``data`` (``Wait``, ``10``)."""

    action: ClassVar[str] = "Originate"
    channel: str
    context: str = ""
    exten: str = "s"
    priority: int = 1
    application: str = ""
    data: str = ""
    timeout_ms: int | None = None
    caller_id: CallerId | None = None
    channel_id: str = ""  # the new channel's uniqueid (and so the call's linkedid)
    other_channel_id: str = ""  # a Local channel's second half
    variables: Mapping[str, str] = field(default_factory=dict)
    asynchronous: bool = True  # answered at once; an OriginateResponse event tells the end

    def fields(self) -> dict[str, str]:
        fields = {"Channel": self.channel, **self._runs()}
        if self.timeout_ms is not None:
            fields["Timeout"] = str(self.timeout_ms)
        if self.caller_id is not None:
            fields["CallerID"] = self.caller_id.header()
        if self.channel_id:
            fields["ChannelId"] = self.channel_id
        if self.other_channel_id:
            fields["OtherChannelId"] = self.other_channel_id
        if self.variables:
            fields["Variable"] = variable_list(self.variables)
        if self.asynchronous:
            fields["Async"] = "true"
        return checked(fields)

    def _runs(self) -> dict[str, str]:
        if self.application:
            return {"Application": self.application, "Data": self.data}
        return {"Context": self.context, "Exten": self.exten, "Priority": str(self.priority)}


@dataclass(frozen=True)
class Redirect(Command):
    """Move a live channel to ``context``/``exten``/``priority`` (its AGI session ends)."""

    action: ClassVar[str] = "Redirect"
    channel: str
    context: str
    exten: str = "s"
    priority: int = 1

    def fields(self) -> dict[str, str]:
        return checked(
            {
                "Channel": self.channel,
                "Context": self.context,
                "Exten": self.exten,
                "Priority": str(self.priority),
            }
        )


@dataclass(frozen=True)
class SetVar(Command):
    """Set a variable on ``channel`` (a global one without a channel). The value is one header,
    set as it is: nothing to escape, control characters refused."""

    action: ClassVar[str] = "Setvar"
    variable: str
    value: str
    channel: str = ""

    def fields(self) -> dict[str, str]:
        channel = {"Channel": self.channel} if self.channel else {}
        return checked({**channel, "Variable": self.variable, "Value": self.value})


def set_vars(channel: str, variables: Mapping[str, str]) -> list[SetVar]:
    """One Setvar per variable, in order."""
    return [SetVar(name, value, channel) for name, value in variables.items()]


@dataclass(frozen=True)
class HangupChannel(Command):
    action: ClassVar[str] = "Hangup"
    channel: str
    cause: int = HANGUP_NORMAL

    def fields(self) -> dict[str, str]:
        return checked({"Channel": self.channel, "Cause": str(self.cause)})


@dataclass(frozen=True)
class GetVar(Command):
    """Read a variable or dialplan function, of ``channel`` or global
    (``DEVICE_STATE(PJSIP/9001)``); its reply is the value."""

    action: ClassVar[str] = "Getvar"
    variable: str
    channel: str = ""

    def fields(self) -> dict[str, str]:
        channel = {"Channel": self.channel} if self.channel else {}
        return checked({**channel, "Variable": self.variable})


@dataclass(frozen=True)
class CliCommand(Command):
    """An Asterisk CLI command (``pjsip reload``); its reply is the command's output."""

    action: ClassVar[str] = "Command"
    command: str

    def fields(self) -> dict[str, str]:
        return checked({"Command": self.command})


class CallControl(Protocol):
    """What domain code asks of Asterisk: send a command, read a variable, list the live
    channels (one ``CoreShowChannels``). Failures raise :class:`~wire.errors.AmiError`."""

    async def send(self, command: Command) -> None: ...

    async def get_var(self, command: GetVar) -> str: ...

    async def channels(self) -> tuple[ChannelRow, ...]: ...
