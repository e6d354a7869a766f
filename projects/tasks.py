from celery import shared_task

from projects import services
from projects.imports import services as import_services

# Registered with the worker through this module (autodiscovery imports `projects.tasks`); it
# sits beside the service that queues it, which may not import this module.
read_uploaded_plan = import_services.read_uploaded_plan


@shared_task(name="projects.refresh_project_health")
def refresh_project_health(project_id: int) -> str:
    return services.project_health_refresh(project_id=project_id)
