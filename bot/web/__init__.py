"""The read-only web view, served by ``serve`` on the same port under ``/web``.

Who is on call now and next, the rota calendars, incidents with status and
their verified timeline, legal duties with due times in the viewer's zone,
the on-call report, and evidence downloads (each one on the incident's audit
trail).  Nothing can be changed here.  Access is by a personal, signed,
short-lived link that ``/oncall web`` gives in Slack (:mod:`bot.web.links`);
what a person sees follows ``config/permissions.yaml`` through the incident
service's own read check.
"""
