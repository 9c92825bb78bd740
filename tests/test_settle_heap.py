"""serve and the scheduler worker freeze the heap once started (a full collection paused every thread for
100-300 ms during alert storms); a configuration reload unfreezes it once, so the replaced configuration and
anything else in a reference cycle can still go."""

from __future__ import annotations

import gc
import weakref

from bot.cli.commands.serve import settle_heap


class _Holder:
    def __init__(self) -> None:
        self.listeners: list = []

    def on_change(self, listener) -> None:
        self.listeners.append(listener)


class _Node:
    pass


def test_a_reload_lets_frozen_garbage_in_cycles_go():
    holder = _Holder()
    old = _Node()
    old.me = old  # a reference cycle, as configuration objects and their validators make
    gone = weakref.ref(old)
    try:
        settle_heap(holder)
        del old
        gc.collect()
        assert gone() is not None  # frozen: the collector no longer looks at it
        [reloaded] = holder.listeners
        reloaded(object())  # the holder calls its listeners with the new configuration
        assert gone() is None
    finally:
        gc.unfreeze()
