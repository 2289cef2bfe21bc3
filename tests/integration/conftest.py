# The worker cluster (throwaway Redis, worker processes) for every integration module.
from tests.integration.test_celery_worker import cluster  # noqa: F401
