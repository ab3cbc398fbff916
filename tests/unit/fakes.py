"""Small in-memory fakes for the IVR's unit tests: a scripted caller and a prompt source."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ivr.caller import CallerIO
from ivr.handoff import Handoff
from ivr.menu import Language, MenuTree, load_menu_tree


class FakePrompts:
    async def ensure(self, language: Language, text: str) -> str:
        return f"{language}:{text}"


@dataclass
class FakeChannel:
    """``keys``: what the caller presses, in order; "" stands for silence at that point."""

    keys: deque[str] = field(default_factory=deque)
    played: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    recorded: list[str] = field(default_factory=list)

    @property
    def heard(self) -> str:
        """What the caller heard, as one transcript: a sentence is played as several prompts
        (its numbers, amounts and dates as fragments), so look for words here, not per file."""
        return " ".join(prompt.split(":", 1)[-1] for prompt in self.played)

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None:
        raise AssertionError("the IVR collects keys itself")

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value

    async def get_variable(self, name: str) -> str | None:
        return self.variables.get(name)

    async def stream_file(self, prompt: str, escape_digits: str = "") -> str:
        self.played.append(prompt)
        return ""

    async def wait_for_digit(self, timeout_ms: int) -> str:
        return self.keys.popleft() if self.keys else ""

    async def record_file(
        self, path: str, max_ms: int, escape_digits: str = "#", silence_s: int = 0
    ) -> str:
        self.recorded.append(path)
        return "#"


def caller(keys: str, tree: MenuTree | None = None) -> tuple[CallerIO, FakeChannel]:
    """Keys as a string; `_` is silence (a timeout)."""
    channel = FakeChannel(keys=deque("" if k == "_" else k for k in keys))
    io = CallerIO(channel, tree or load_menu_tree(), FakePrompts(), "test.1", Handoff("person"))
    io.language = "en"
    return io, channel


# ---- the CRM as the flows see it -------------------------------------------------------------
from collections.abc import Mapping, Sequence  # noqa: E402
from datetime import UTC, date, datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from ivr.flows.context import FlowContext, Services  # noqa: E402

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Agent:
    badge_number: str
    name: str
    branch: str
    status: str
    licence_expiry: date


@dataclass(frozen=True)
class Customer:
    id: int
    name: str
    tier: str = "standard"


@dataclass(frozen=True)
class Due:
    policy_id: int
    number: str
    product: str
    amount_due: Decimal
    due_date: date
    customer_id: int


@dataclass(frozen=True)
class Proof:
    birth_date: date | None
    id_number_tail: str


@dataclass
class FakeCrm:
    agents: dict[str, Agent] = field(default_factory=dict)
    lookups: list[tuple[str, str, str]] = field(default_factory=list)
    earlier_failures: int = 0
    frauds: list[tuple[str, str]] = field(default_factory=list)
    due: dict[int, list[Due]] = field(default_factory=dict)
    holders: dict[tuple[str, str], Customer] = field(default_factory=dict)
    proofs: dict[int, Proof] = field(default_factory=dict)
    promises: list[tuple[int, Decimal, date, str]] = field(default_factory=list)
    complaints: list[tuple[str, str | None]] = field(default_factory=list)
    quotes: list[tuple[str, dict[str, int], Decimal]] = field(default_factory=list)
    callbacks: list[int] = field(default_factory=list)

    async def by_badge(self, badge: str) -> Agent | None:
        return self.agents.get(badge)

    async def log_lookup(self, caller_number: str, badge: str, outcome: str, linkedid: str) -> None:
        self.lookups.append((caller_number, badge, outcome))

    async def failed_lookups_since(self, caller_number: str, since: datetime) -> int:
        mine = [o for c, _, o in self.lookups if c == caller_number and o != "found_active"]
        return self.earlier_failures + len(mine)

    async def report_fraud(
        self, caller_number: str, badge: str, linkedid: str, note: str | None
    ) -> int:
        self.frauds.append((caller_number, badge))
        return 40 + len(self.frauds)

    async def save(
        self,
        caller_number: str,
        product: str,
        parameters: Mapping[str, int],
        premium: Decimal,
        linkedid: str,
    ) -> int:
        self.quotes.append((product, dict(parameters), premium))
        return len(self.quotes)

    async def request_callback(self, quote_id: int) -> None:
        self.callbacks.append(quote_id)

    async def due_for_customer(self, customer_id: int) -> Sequence[Due]:
        return self.due.get(customer_id, [])

    async def holder_by_policy_and_birth(self, policy_number: str, birth: str) -> Customer | None:
        return self.holders.get((policy_number, birth))

    async def holder_proof(self, customer_id: int) -> Proof | None:
        return self.proofs.get(customer_id)

    async def promise(
        self,
        policy_id: int,
        amount: Decimal,
        promised_date: date,
        caller_number: str,
        linkedid: str,
        channel: str,
    ) -> int:
        self.promises.append((policy_id, amount, promised_date, channel))
        return len(self.promises)

    async def create(
        self, caller_number: str, category: str, recording_file: str | None, linkedid: str
    ) -> int:
        self.complaints.append((category, recording_file))
        return 7000 + len(self.complaints)


def flow_context(
    keys: str, crm: FakeCrm, customer: Customer | None = None, rating: object = None
) -> tuple[FlowContext, FakeChannel]:
    io, channel = caller(keys)
    services = Services(
        field_agents=crm,
        quotes=crm,
        policies=crm,
        complaints=crm,
        rating=rating,
        recordings_dir="/rec",
        now=lambda: NOW,
    )
    return FlowContext(io, "13800138000", "test.1", customer, services), channel
