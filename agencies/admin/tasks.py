"""Celery tasks of the admin: thin; beat runs them on CELERY_BEAT_SCHEDULE (oversight/settings.py)."""

from celery import shared_task

from agencies.admin.dossier_upload import dossier_uploads_sweep


@shared_task(name="agencies.dossier_uploads_sweep", ignore_result=True)
def dossier_uploads_sweep_task() -> int:
    return dossier_uploads_sweep()
