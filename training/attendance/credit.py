"""Hours credited for attendance, by the policy rules in force (never a constant in code)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from training.attendance.models import Attendance
from training.organisation.models import PolicyRule
from training.programmes.models import Session

RULES_CACHE_SECONDS = 60
VIEWING_CHANNELS = (Attendance.Channel.LIVE, Attendance.Channel.REPLAY, Attendance.Channel.IMPORT)


@dataclass(frozen=True)
class CreditRules:
    min_minutes: int
    replay_earns: bool

    @classmethod
    def for_year(cls, year: int) -> CreditRules:
        """The crediting rules in force in ``year`` (cached for a minute: they change yearly)."""
        key = f"credit-rules:{year}"
        rules = cache.get(key)
        if rules is None:
            rules = cls._load(year)
            cache.set(key, rules, RULES_CACHE_SECONDS)
        return rules

    @classmethod
    def _load(cls, year: int) -> CreditRules:
        K = PolicyRule.Key
        values: dict[str, Decimal] = {}
        rules = PolicyRule.objects.in_force(year).filter(key__in=[K.MIN_MINUTES_WATCHED, K.REPLAY_EARNS_HOURS])
        for key, value in rules.order_by("effective_from").values_list("key", "value"):
            values[key] = value  # the latest start wins
        missing = {K.MIN_MINUTES_WATCHED, K.REPLAY_EARNS_HOURS} - set(values)
        if missing:
            raise LookupError(f"No policy rule {sorted(missing)!r} in force in {year}")
        return cls(min_minutes=int(values[K.MIN_MINUTES_WATCHED]), replay_earns=values[K.REPLAY_EARNS_HOURS] >= 1)

    def hours(self, session: Session, status: str, channel: str, minutes: int) -> Decimal:
        if status not in Attendance.ATTENDED_STATUSES:
            return Decimal("0")
        if channel in VIEWING_CHANNELS:
            if minutes < self.min_minutes:
                return Decimal("0")
            if channel == Attendance.Channel.REPLAY and not self.replay_earns:
                return Decimal("0")
        return session.hours


@receiver([post_save, post_delete], sender=PolicyRule)
def _forget_credit_rules(sender, instance: PolicyRule, **kwargs) -> None:
    keys = [f"credit-rules:{year}" for year in range(instance.effective_from, instance.effective_from + 30)]
    cache.delete_many(keys)
    # Again once the change is visible: a reader in between may have cached the old rules.
    transaction.on_commit(lambda: cache.delete_many(keys))


def session_year(session: Session) -> int:
    return timezone.localtime(session.starts_at).year
