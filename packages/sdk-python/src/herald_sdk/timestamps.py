"""The timestamp window: how old or how far ahead a signed timestamp may be."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Callable, Optional

from .errors import WebhookVerificationError

DEFAULT_TOLERANCE_SECONDS = 900
"""How old a timestamp may be, in seconds: the official SDKs' window (wire spec §3)."""

DEFAULT_FUTURE_TOLERANCE_SECONDS = 300
"""How far ahead of the receiver's clock a timestamp may be, in seconds (clock skew)."""

Clock = Callable[[], float]
"""Returns the current time in Unix seconds, as ``time.time`` does."""

# ASCII digits only: str.isdigit() and int() also take "²" or "١٢٣", which JavaScript does not.
_TIMESTAMP = re.compile(r"[0-9]{1,15}")


@dataclass(frozen=True)
class TimestampWindow:
    """Checked tolerances and the clock they are measured with."""

    tolerance: float
    future_tolerance: float
    now: Clock

    @classmethod
    def create(cls, tolerance: float, future_tolerance: float, now: Optional[Clock]) -> TimestampWindow:
        """Checks the arguments once, naming the bad one."""
        for name, value in (("tolerance", tolerance), ("future_tolerance", future_tolerance)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number of seconds, got {type(value).__name__}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative number of seconds, got {value!r}")
        if now is not None and not callable(now):
            raise TypeError("now must be a function returning Unix seconds (like time.time)")
        return cls(tolerance, future_tolerance, time.time if now is None else now)

    def check(self, timestamp: int) -> None:
        """Raises unless ``timestamp`` (whole Unix seconds) is inside the window around now."""
        age = math.floor(self.now()) - timestamp
        if age > self.tolerance:
            raise WebhookVerificationError(
                "timestamp_too_old", f"timestamp is {age} s old; at most {self.tolerance:g} s is accepted"
            )
        if -age > self.future_tolerance:
            raise WebhookVerificationError(
                "timestamp_in_future",
                f"timestamp is {-age} s in the future; at most {self.future_tolerance:g} s is accepted (check the clocks)",
            )


def parse_timestamp(text: str) -> Optional[int]:
    """Whole Unix seconds written as 1-15 ASCII digits, or None."""
    return int(text) if _TIMESTAMP.fullmatch(text) else None
