"""What a self-service flow works with: the caller, and the CRM and rating services as ports
(Protocols), so flows stay testable and never import the database layer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from ivr.caller import CallerIO


class CustomerInfo(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def tier(self) -> str: ...


class FieldAgentInfo(Protocol):
    @property
    def badge_number(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def branch(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def licence_expiry(self) -> date: ...


class PolicyDueInfo(Protocol):
    @property
    def policy_id(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def product(self) -> str: ...
    @property
    def amount_due(self) -> Decimal: ...
    @property
    def due_date(self) -> date: ...
    @property
    def customer_id(self) -> int: ...


class HolderProofInfo(Protocol):
    """What proves a caller holds a customer's policies: the birth date, the identity number's
    last four characters (never the whole number)."""

    @property
    def birth_date(self) -> date | None: ...
    @property
    def id_number_tail(self) -> str: ...


class FieldAgents(Protocol):
    async def by_badge(self, badge: str) -> FieldAgentInfo | None: ...
    async def log_lookup(
        self, caller_number: str, badge: str, outcome: str, linkedid: str
    ) -> None: ...
    async def failed_lookups_since(self, caller_number: str, since: datetime) -> int: ...
    async def report_fraud(
        self, caller_number: str, badge: str, linkedid: str, note: str | None
    ) -> int: ...


class Quotes(Protocol):
    async def save(
        self,
        caller_number: str,
        product: str,
        parameters: Mapping[str, int],
        premium: Decimal,
        linkedid: str,
    ) -> int: ...
    async def request_callback(self, quote_id: int) -> None: ...


class Policies(Protocol):
    async def due_for_customer(self, customer_id: int) -> Sequence[PolicyDueInfo]: ...
    async def holder_by_policy_and_birth(
        self, policy_number: str, birth_digits: str
    ) -> CustomerInfo | None: ...
    async def holder_proof(self, customer_id: int) -> HolderProofInfo | None: ...
    async def promise(
        self,
        policy_id: int,
        amount: Decimal,
        promised_date: date,
        caller_number: str,
        linkedid: str,
        channel: str,
    ) -> int: ...


class Complaints(Protocol):
    async def create(
        self, caller_number: str, category: str, recording_file: str | None, linkedid: str
    ) -> int: ...


@dataclass(frozen=True)
class Services:
    field_agents: FieldAgents
    quotes: Quotes
    policies: Policies
    complaints: Complaints
    rating: Any  # ivr.rating.RatingTables
    recordings_dir: str  # where Asterisk writes complaint recordings (as Asterisk sees it)
    now: Callable[[], datetime]


@dataclass
class FlowContext:
    io: CallerIO
    caller_number: str
    linkedid: str
    customer: CustomerInfo | None
    services: Services

    def today(self) -> date:
        return self.services.now().date()


Flow = Callable[[FlowContext], Awaitable[None]]
