"""After the incident: milestones, the post-incident review, follow-up actions, metrics and the period report.

The domain of the learning phase.  It imports no chat library and takes an
injected clock; the Slack adapter's commands and buttons and the CLI call
:class:`bot.learning.service.LearningService`.
"""
