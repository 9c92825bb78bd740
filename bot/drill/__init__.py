"""The drill: a complete incident through the real core, store, scheduler and Slack adapter,
with Slack replaced by the local double and simulated time."""
