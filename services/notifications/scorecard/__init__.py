"""The manager scorecard: a KPI projection of the clients, interactions and billing events,
the scorecard report (``GET /api/v1/reports/scorecard``) and the scheduled reports to the
heads and admins. Kept apart from the rest of the notifications service: its subscribers are
``SCORECARD_SUBSCRIBERS`` (``subscribers.py``), its router ``api.scorecard.router``, its jobs
``jobs.scheduled_jobs``."""
