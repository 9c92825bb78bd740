"""Pictures: self-contained HTML pages (inline CSS and SVG, no scripts, no external assets).

Rota calendars per rotation and per person (each in their own local time)
with public holidays, leave, coverage gaps and labor-rule findings marked on
the day they happen; an edit review side by side; the on-call report with
charts; the evidence pack.  The same pages are served by the read-only web
view (:mod:`bot.web`).  Built from the managers' tools' results
(:mod:`bot.reports`), never from a second computation.
"""
