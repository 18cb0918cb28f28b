"""The circuit breaker and the operator's pause, shared by all workers through the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from models.operations import pause_marketplace, resume_marketplace
from models.settings import Settings, load_settings
from models.tables import BreakerState, ErrorClass, MarketplaceState
from scanner import breaker

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path, breaker_failure_threshold=3, breaker_cooldown_seconds=300)


def fail(session: Session, settings: Settings, times: int, at: datetime = NOW) -> None:
    for _ in range(times):
        breaker.record_failure(session, "ebay", ErrorClass.SERVER_ERROR, at, settings)
    session.commit()


def state(session: Session) -> MarketplaceState:
    found = session.get(MarketplaceState, "ebay", populate_existing=True)
    assert found is not None
    return found


def test_a_fresh_marketplace_is_allowed(session: Session, settings: Settings) -> None:
    assert breaker.check(session, "ebay", NOW, settings).allowed


def test_opens_after_the_threshold_and_skips(session: Session, settings: Settings) -> None:
    fail(session, settings, 2)
    assert breaker.check(session, "ebay", NOW, settings).allowed
    fail(session, settings, 1)
    assert state(session).breaker_state is BreakerState.OPEN
    gate = breaker.check(session, "ebay", NOW + timedelta(seconds=10), settings)
    assert not gate.allowed
    assert "circuit open until" in (gate.reason or "")


def test_after_the_cooldown_exactly_one_trial_is_allowed(session: Session, settings: Settings) -> None:
    fail(session, settings, 3)
    later = NOW + timedelta(seconds=301)
    first = breaker.check(session, "ebay", later, settings)
    second = breaker.check(session, "ebay", later, settings)
    assert first.allowed and first.trial
    assert not second.allowed and "trial" in (second.reason or "")


def test_a_good_trial_closes_the_breaker(session: Session, settings: Settings) -> None:
    fail(session, settings, 3)
    later = NOW + timedelta(seconds=301)
    assert breaker.check(session, "ebay", later, settings).trial
    breaker.record_success(session, "ebay", later)
    session.commit()
    assert state(session).breaker_state is BreakerState.CLOSED
    assert state(session).consecutive_failures == 0
    assert breaker.check(session, "ebay", later, settings).allowed


def test_a_failed_trial_opens_it_again(session: Session, settings: Settings) -> None:
    fail(session, settings, 3)
    later = NOW + timedelta(seconds=301)
    assert breaker.check(session, "ebay", later, settings).trial
    fail(session, settings, 1, at=later)
    assert state(session).breaker_state is BreakerState.OPEN
    assert state(session).open_until == later + timedelta(seconds=300)


def test_a_trial_whose_worker_died_is_offered_again(session: Session, settings: Settings) -> None:
    fail(session, settings, 3)
    trial_at = NOW + timedelta(seconds=301)
    assert breaker.check(session, "ebay", trial_at, settings).trial
    assert breaker.check(session, "ebay", trial_at + timedelta(seconds=301), settings).trial


def test_configuration_errors_do_not_trip_it(session: Session, settings: Settings) -> None:
    for _ in range(5):
        breaker.record_failure(session, "ebay", ErrorClass.QUOTA_EXHAUSTED, NOW, settings)
    assert state(session).breaker_state is BreakerState.CLOSED


def test_pause_skips_with_the_reason_and_resume_clears_everything(session: Session, settings: Settings) -> None:
    fail(session, settings, 3)
    pause_marketplace(session, "ebay", "eBay is blocking us", NOW)
    gate = breaker.check(session, "ebay", NOW, settings)
    assert not gate.allowed and gate.reason == "paused: eBay is blocking us"
    resume_marketplace(session, "ebay", NOW)
    assert breaker.check(session, "ebay", NOW, settings).allowed
    assert state(session).consecutive_failures == 0
