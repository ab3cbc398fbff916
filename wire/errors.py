"""The wire's one error: an AMI action failed, AMI is unreachable, or a value was refused
before it was sent. ``code`` is stable (``ami-action-failed``, ``ami-unreachable``,
``ami-timeout``, ``ami-closed``, ``ami-unsafe-value``)."""

from __future__ import annotations


class AmiError(Exception):
    """An AMI action failed or AMI is unreachable. ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class UnsafeValue(AmiError):
    """A value that would change the meaning of an AMI action (a control character could end
    its header and start another): refused, never sent."""

    def __init__(self, field: str, value: str, problem: str = "control character in") -> None:
        super().__init__("ami-unsafe-value", f"{field}: {problem} {value!r}")
        self.field = field
