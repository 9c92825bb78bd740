"""Who works on a private incident's follow-ups: its channel members and each follow-up's owner.

``add_followup`` is open to everyone who may read the incident, and ``read_private`` lets channel members read:
so a person who is only in the incident channel may propose a follow-up. The owner of a follow-up is told they
own it and ``update_followup`` names them: they must be able to start and finish it even when they were never
paged and hold no role (they are on the response team for the follow-up they own).
"""

from __future__ import annotations

from dataclasses import replace

from tests.incidents.permission_world import (HUGO, KATRIN, World, _proposal, breach,  # noqa: F401 - fixtures
                                              matrix_config, world)

BRUNO = "U0BRUNO01"  # in people.yaml; neither paged for the breach nor holding a role in it
CHANNEL = "CLEAK0001"


def test_a_channel_member_may_propose_a_follow_up_on_a_private_incident(world: World):
    breach(world)
    world.svc.record_channel(world.svc.get(1).id, CHANNEL, "inc-1-leaked-key", key="k:ch")
    world.members[CHANNEL] = {HUGO}
    added = world.learn.add_followup(1, _proposal(), actor=HUGO, key="k:f")
    assert [f.id for f in world.learn.followups_of(1)] == [added.followup.id]


def test_the_owner_of_a_follow_up_may_start_it_without_being_on_the_incident(world: World):
    breach(world)
    assert BRUNO not in {p.slack_user for p in world.svc.pages(1)}
    added = world.learn.add_followup(1, replace(_proposal(), owner=BRUNO), actor=KATRIN, key="k:f")
    world.learn.start_followup(added.followup.id, actor=BRUNO, key="k:s")
    assert [f.state for f in world.learn.followups_of(1)] == ["in_progress"]
