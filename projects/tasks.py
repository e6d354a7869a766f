from celery import shared_task

from projects import services


@shared_task(name="projects.refresh_project_health")
def refresh_project_health(project_id: int) -> str:
    return services.project_health_refresh(project_id=project_id)
