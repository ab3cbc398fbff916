"""An in-memory Asterisk as domain code sees it through ``wire.commands.CallControl``: it records
every command sent (typed, and the AMI fields it would cross the wire as), answers ``Getvar``
from its variables and ``CoreShowChannels`` from its rows, and refuses the actions it is told
to."""

from __future__ import annotations

from dataclasses import dataclass, field

from wire.commands import Command, GetVar
from wire.errors import AmiError
from wire.replies import ChannelRow


@dataclass
class FakeAmi:
    rows: list[ChannelRow] = field(default_factory=list)
    variables: dict[tuple[str, str], str] = field(default_factory=dict)  # (channel, name)
    refuse: set[str] = field(default_factory=set)  # action names answered with an error
    commands: list[Command] = field(default_factory=list)
    channel_lookups: int = 0  # CoreShowChannels round trips

    async def send(self, command: Command) -> None:
        self._record(command)

    async def get_var(self, command: GetVar) -> str:
        self._record(command)
        return self.variables.get((command.channel, command.variable), "")

    async def channels(self) -> tuple[ChannelRow, ...]:
        self.channel_lookups += 1
        if "CoreShowChannels" in self.refuse:
            raise AmiError("ami-action-failed", "CoreShowChannels: refused")
        return tuple(self.rows)

    def _record(self, command: Command) -> None:
        command.fields()  # an unsafe value is refused here as by the real client: nothing sent
        self.commands.append(command)
        if command.action in self.refuse:
            raise AmiError("ami-action-failed", f"{command.action}: refused")

    @property
    def actions(self) -> list[tuple[str, dict[str, str]]]:
        """Every action sent, as AMI would see it: its name and fields, in order."""
        return [(command.action, command.fields()) for command in self.commands]

    def sent(self, action: str) -> list[dict[str, str]]:
        """The fields of every ``action`` sent, in order."""
        return [fields for name, fields in self.actions if name == action]
