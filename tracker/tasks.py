"""Celery tasks. Each takes ids or nothing, calls a service, and is safe to run twice."""

from celery import shared_task

from tracker.services.auth import credentials_purge_expired


@shared_task(name="tracker.tasks.purge_expired_credentials", acks_late=True)
def purge_expired_credentials() -> int:
    return credentials_purge_expired()
