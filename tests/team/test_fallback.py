"""FallbackShare: half of each limit while the store is away (never below 1), and reconnect backoff."""

from __future__ import annotations

import pytest

from lrtui.engine.team import FallbackShare, TeamLimits


def test_half_of_each_limit_rounded_down_never_below_one() -> None:
    local = FallbackShare(TeamLimits(rate_calls=1)).local_limits()
    assert (local.rate_calls, local.max_sessions, local.general_per_minute, local.general_per_hour) == (1, 12, 50, 750)
    assert local.rate_window_s == 60 and local.hour_s == 3600
    assert FallbackShare(TeamLimits(), share=0.25).local_limits().rate_calls == 2


def test_reconnect_backs_off_and_resets_on_success() -> None:
    f = FallbackShare(TeamLimits(), first_retry_s=1, max_retry_s=5)
    assert f.should_try(0) and not f.degraded
    assert [f.on_failure(0) for _ in range(5)] == [1, 2, 4, 5, 5]
    assert f.degraded and not f.should_try(4.9) and f.should_try(5)
    f.on_success()
    assert not f.degraded and f.should_try(0) and f.on_failure(10) == 1


@pytest.mark.parametrize("share", [0, -0.5, 1.5])
def test_a_share_outside_0_to_1_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        FallbackShare(TeamLimits(), share=share)
