"""Bolt listeners, one module per surface: commands, actions, views, home, events."""
