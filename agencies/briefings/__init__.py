"""Briefings: the data a briefing is built from, its HTML, its PDF and the fetcher that keeps the
renderer from reaching anything but the project's own bundled assets.

The job side (the Briefing row, Celery tasks, admin, commands) calls `render.briefing_render`.
"""
