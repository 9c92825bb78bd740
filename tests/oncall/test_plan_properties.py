"""Properties of every page plan on the shipped config, at any instant, severity and urgency."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.oncall.planner import ExceptionRequest, plan_pages
from tests.oncall.test_shipped_config import shipped  # noqa: F401  (module-scoped fixture)

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minutes=st.integers(0, 60 * 24 * 730), target=st.sampled_from(["platform", "payments", "payments-emea",
                                                                      "payments-amer", "platform-escalation"]),
       severity=st.sampled_from(["sev1", "sev2", "sev3", "sev4", "security"]), low=st.booleans(),
       declared=st.booleans())
def test_plans_never_page_nobody_and_always_explain(shipped, minutes, target, severity, low, declared):  # noqa: F811
    at = START + timedelta(minutes=minutes)
    request = ExceptionRequest("katrin", "test emergency") if declared else None
    plan = plan_pages(shipped, target, at, severity, urgency="low" if low else "high", exception=request)
    # never silently nobody: someone is paged, or the fallback is paged with a loud warning
    assert plan.plan
    if plan.fallback_used:
        assert plan.warnings[0].startswith("NOBODY ELIGIBLE")
    # nobody is paged before the incident, later levels never before earlier ones
    assert all(step.page_at >= at for step in plan.plan)
    levels = sorted(plan.plan, key=lambda s: s.level)
    assert all(a.page_at <= b.page_at for a, b in zip(levels, levels[1:]))
    # every skip names its rule and citation; a skipped person is not also paged at that level
    paged = {(step.level, step.person) for step in plan.plan}
    for skip in plan.skipped:
        assert skip.rule and skip.citation and skip.reason.startswith("skipped: ")
        assert (skip.level, skip.person) not in paged
    # exceptions only for severities they name, and only when declared
    for used in plan.exceptions_used:
        assert declared and severity in ("sev1", "security")
    # held only for low urgency
    assert low or not plan.held
