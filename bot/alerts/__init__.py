"""Alerts in: monitoring systems raise pages and incidents.

The core of alert intake, free of HTTP and chat: the wire formats
(:mod:`formats`), the sources and their tokens (:mod:`sources`), the
configuration (:mod:`config`), routes, silences and maintenance windows
(:mod:`routing`), the durable inbox (:mod:`inbox`) and what happens to every
alert (:mod:`triage`).  The HTTP endpoints are an adapter (``bot/alerts_http``).
"""
