"""Managers' tools: rota preview and diff, the on-call report, calendar feeds.

Built on the on-call core (:mod:`bot.oncall`): shifts come from
``bot.oncall.schedule.shifts``, labor-rule violations from
``bot.oncall.compliance.violations``; nothing here re-implements them.
"""
