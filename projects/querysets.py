from django.db import models
from django.db.models.functions import Coalesce

from core import access


class Stage(models.TextChoices):
    IDEA = "idea", "Idea"
    CANDIDATE = "candidate", "Candidate"
    APPROVED = "approved", "Approved"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"
    ON_HOLD = "on_hold", "On hold"
    CANCELLED = "cancelled", "Cancelled"


PIPELINE_STAGES = (Stage.IDEA, Stage.CANDIDATE)
ACTIVE_STAGES = (Stage.APPROVED, Stage.IN_PROGRESS, Stage.CLOSING)


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        return access.filter_visible_projects(self, user, project_field="")

    def editable_by(self, user):
        return access.filter_editable_projects(self, user, project_field="")

    def active(self):
        return self.filter(stage__in=ACTIVE_STAGES)

    def pipeline(self):
        return self.filter(stage__in=PIPELINE_STAGES)


class ProjectScopedQuerySet(models.QuerySet):
    """For models that hang off a project through a `project` foreign key."""

    def visible_to(self, user):
        return access.filter_visible_projects(self, user, project_field="project")

    def editable_by(self, user):
        return access.filter_editable_projects(self, user, project_field="project")


class DependencyQuerySet(models.QuerySet):
    def with_lateness(self):
        """`expected_on`: when the predecessor delivers (its milestone's actual, forecast or
        baseline date; else the predecessor's planned finish); `is_late`: after `needed_by`."""
        expected = Coalesce(
            "predecessor_milestone__actual_date",
            "predecessor_milestone__forecast_date",
            "predecessor_milestone__baseline_date",
            "predecessor__end_date",
        )
        return self.annotate(
            expected_on=expected,
            is_late=models.ExpressionWrapper(
                models.Q(expected_on__gt=models.F("needed_by")),
                output_field=models.BooleanField(),
            ),
        )

    def late(self):
        return self.with_lateness().filter(is_late=True)

    def visible_to(self, user):
        """A dependency is visible to whoever sees either end of it."""
        projects = self.model._meta.get_field("successor").related_model.objects
        visible = projects.visible_to(user).values("pk")
        return self.filter(models.Q(successor__in=visible) | models.Q(predecessor__in=visible))


# Moving between these stages needs no gate decision: proposing an idea as a candidate and
# withdrawing it again. Every other stage change passes a gate (go / no-go / hold / recycle).
UNGATED_STAGE_CHANGES = {(Stage.IDEA, Stage.CANDIDATE), (Stage.CANDIDATE, Stage.IDEA)}


def stage_change_needs_gate(from_stage: str, to_stage: str) -> bool:
    return from_stage != to_stage and (from_stage, to_stage) not in UNGATED_STAGE_CHANGES
