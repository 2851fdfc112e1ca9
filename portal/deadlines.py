"""Deadlines are stored in UTC and shown Anywhere on Earth (UTC-12), as the contest rules state them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

AOE = timezone(timedelta(hours=-12), "AoE")


def to_aoe(moment: datetime) -> datetime:
    return moment.astimezone(AOE)


def format_aoe(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return to_aoe(moment).strftime("%Y-%m-%d %H:%M AoE")
