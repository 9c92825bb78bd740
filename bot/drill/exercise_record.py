"""A drill step: the drill records its own run as a tabletop-exercise record on the global audit chain.

So ``python -m bot drill --database-url …`` followed by ``python -m bot evidence …`` on that database lists
the drill among the period's exercises (ISO/IEC 27001 A.5.24: the response plan was tested). The date is
the drill's simulated day; the real time it ran is kept beside it. No person records it: the bot does
(actor ``drill``), so no permission is asked.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.drill.running import RunningDrill
from bot.learning.exercises import Entry
from bot.learning.service import LearningService
from bot.oncall.wallclock import local_date

ACTOR = "drill"


def record_run(drill: RunningDrill, pack: dict[str, Any]) -> str:
    """Record the drill that just ran; the line the summary prints about it."""
    w, story = drill.world, drill.story
    playbook = pack["incident"]["severity"]
    duties = [o for o in pack["obligations"] if o["outcome"] != "not_applicable"]
    review = drill.learning_story.service.review(drill.number)
    outcome = {"incident": f"{pack['incident']['label']} {pack['incident']['status']}",
               "chain": "verified" if pack["audit"]["verified"] else "BROKEN",
               "pages": len(pack["pages"]),
               "legal duties met": f"{sum(1 for o in duties if o['outcome'] == 'met')} of {len(duties)}",
               "review": ("drafted" if review.drafts else "not drafted") if review is not None else "not required",
               "follow-ups": len(drill.learning_story.service.followups_of(drill.number))}
    entry = Entry(day=local_date(drill.at, drill.config.settings.timezone),
                  scenario=f'drill of playbook {playbook}: story "{story.name}" ({story.title})',
                  drill={"playbook": playbook, "story": story.name, "alert": drill.options.alert,
                         "simulated_start": drill.at.isoformat(),
                         "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "outcome": outcome})
    service = LearningService(w.store, lambda: drill.config, w.clock)
    recorded = service.record_exercise(entry, actor=ACTOR, key=f"drill:exercise:{drill.number}", system=True)
    return (f"  tabletop-exercise record: {recorded.exercise.label} of {recorded.exercise.date} on the global chain "
            "(listed by incident-bot evidence and incident-bot exercise list)")
