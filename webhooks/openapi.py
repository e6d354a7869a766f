"""The outbound webhooks in the OpenAPI schema's `webhooks` section (drf-spectacular's
SPECTACULAR_SETTINGS["WEBHOOKS"]): one entry per event, each a POST of the envelope
(webhooks/payloads.py) with that event's `data`. The serializers only describe the JSON;
the payloads are built by the services that publish the events (core/events.py)."""

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from core import events

SIGNATURE_HELP = (
    "Headers: `X-Slate-Signature: t=<unix time>,v1=<hex>` where hex is HMAC-SHA256, keyed with "
    "the subscription's secret, of `<unix time>.<raw body>`; `X-Slate-Event` (the event name); "
    "`X-Slate-Delivery` (this delivery's id; a retry repeats it, a redelivery has a new one). "
    "Answer 2xx within the timeout (5 s by default); anything else is retried with "
    "exponential backoff, 6 attempts by default. Drop repeats by the envelope's `id`."
)


class WebhookPortfolioRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class WebhookProjectRef(WebhookPortfolioRef):
    url = serializers.URLField(help_text="The project page in Slate.")


class WebhookPersonRef(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(help_text="Full name, else the username.")


RAG = serializers.ChoiceField(choices=["green", "amber", "red", ""])
HEALTH = serializers.ChoiceField(choices=["green", "amber", "red"], allow_null=True)


class WebhookStatusReportData(serializers.Serializer):
    class WebhookReport(serializers.Serializer):
        id = serializers.IntegerField()
        period_start = serializers.DateField()
        period_end = serializers.DateField()
        overall_rag = RAG
        schedule_rag = RAG
        budget_rag = RAG
        scope_rag = RAG
        quality_rag = RAG
        risk_rag = RAG
        percent_complete = serializers.DecimalField(max_digits=5, decimal_places=2)
        forecast_end = serializers.DateField(allow_null=True)
        forecast_cost = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
        summary = serializers.CharField()
        submitted_by = WebhookPersonRef()
        submitted_at = serializers.DateTimeField()
        url = serializers.URLField()

    project = WebhookProjectRef()
    report = WebhookReport()


CAUSE = serializers.ChoiceField(
    choices=[
        "status_report.submitted",
        "cost_entry.created",
        "cost_entry.updated",
        "cost_entry.deleted",
        "cost_entry.imported",
    ],
    help_text="What changed the figures.",
)


class WebhookHealthChangedData(serializers.Serializer):
    project = WebhookProjectRef()
    as_of = serializers.DateField(help_text="The date the health is computed as of.")
    status_date = serializers.DateField(allow_null=True)
    cause = CAUSE
    previous = HEALTH
    current = HEALTH
    cost_performance_index = serializers.DecimalField(
        max_digits=10, decimal_places=3, allow_null=True
    )
    schedule_performance_index = serializers.DecimalField(
        max_digits=10, decimal_places=3, allow_null=True
    )


class WebhookWatermelonData(serializers.Serializer):
    project = WebhookProjectRef()
    as_of = serializers.DateField()
    status_date = serializers.DateField(allow_null=True)
    cause = CAUSE
    reported_health = RAG
    computed_health = HEALTH
    dimensions = serializers.DictField(
        child=RAG, help_text="schedule, budget, scope, quality and risk RAG of the report."
    )


class WebhookGateDecidedData(serializers.Serializer):
    class WebhookGateDecision(serializers.Serializer):
        id = serializers.IntegerField()
        from_stage = serializers.CharField()
        to_stage = serializers.CharField()
        outcome = serializers.ChoiceField(choices=["go", "no_go", "hold", "recycle"])
        decided_on = serializers.DateField()
        decided_by = WebhookPersonRef()
        rationale = serializers.CharField()
        conditions = serializers.CharField()
        override_reason = serializers.CharField(
            help_text="Why a go passed criteria not met; empty otherwise."
        )
        criteria = serializers.DictField(
            child=serializers.IntegerField(), help_text="Criteria met, not met and waived."
        )

    project = WebhookProjectRef()
    decision = WebhookGateDecision()
    stage = serializers.CharField(help_text="The project's stage after the decision.")


class WebhookScenarioCommittedData(serializers.Serializer):
    class WebhookScenario(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()

    class WebhookSkippedProject(serializers.Serializer):
        code = serializers.CharField()
        why = serializers.CharField()

    scenario = WebhookScenario()
    committed_by = WebhookPersonRef()
    committed_at = serializers.DateTimeField()
    as_of = serializers.DateField()
    approved = serializers.ListField(child=serializers.CharField(), help_text="Project codes.")
    to_candidate = serializers.ListField(child=serializers.CharField())
    deferred = serializers.ListField(child=serializers.CharField())
    stopped = serializers.ListField(child=serializers.CharField())
    skipped = WebhookSkippedProject(many=True)


class WebhookReviewCompletedData(serializers.Serializer):
    class WebhookReview(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.ChoiceField(choices=["monthly", "quarterly", "annual"])
        period = serializers.CharField(help_text="As pages show it: “October 2026”, “Q3 2026”.")
        period_start = serializers.DateField()
        period_end = serializers.DateField()
        finished_at = serializers.DateTimeField()
        url = serializers.URLField()

    review = WebhookReview()
    kpis = serializers.DictField(help_text="The portfolio roll-up the review stored.")


class WebhookAllocationConflictData(serializers.Serializer):
    class WebhookAllocation(serializers.Serializer):
        id = serializers.IntegerField()
        resource = serializers.CharField(allow_null=True)
        role = serializers.CharField()
        start_month = serializers.DateField()
        end_month = serializers.DateField()
        unit = serializers.ChoiceField(choices=["fte", "hours"])
        amount = serializers.DecimalField(max_digits=8, decimal_places=2)

    class WebhookOverCapacityMonth(serializers.Serializer):
        month = serializers.DateField()
        capacity_hours = serializers.DecimalField(max_digits=10, decimal_places=2)
        demand_hours = serializers.DecimalField(max_digits=10, decimal_places=2)
        utilisation = serializers.DecimalField(max_digits=10, decimal_places=3, allow_null=True)

    project = WebhookProjectRef()
    allocation = WebhookAllocation()
    over_capacity = serializers.CharField(help_text="The person, else the role, over capacity.")
    for_person = serializers.BooleanField()
    months = WebhookOverCapacityMonth(many=True)
    override_reason = serializers.CharField()
    confirmed_by = WebhookPersonRef()


DATA = {
    events.STATUS_REPORT_SUBMITTED: WebhookStatusReportData,
    events.HEALTH_CHANGED: WebhookHealthChangedData,
    events.WATERMELON_FLAGGED: WebhookWatermelonData,
    events.GATE_DECIDED: WebhookGateDecidedData,
    events.SCENARIO_COMMITTED: WebhookScenarioCommittedData,
    events.REVIEW_COMPLETED: WebhookReviewCompletedData,
    events.ALLOCATION_CONFLICT: WebhookAllocationConflictData,
}


def _envelope(name: str, data: type[serializers.Serializer]) -> type[serializers.Serializer]:
    component = "Webhook" + "".join(p.title() for p in name.replace(".", "_").split("_")) + "Event"
    return type(
        component,
        (serializers.Serializer,),
        {
            "id": serializers.UUIDField(help_text="The event's id: the same in every delivery."),
            "event": serializers.ChoiceField(choices=[name]),
            "occurred_at": serializers.DateTimeField(),
            "portfolio": WebhookPortfolioRef(),
            "data": data(),
            "__doc__": f"The envelope of a {events.EVENTS[name].lower()} event.",
        },
    )


def _webhook(name: str) -> OpenApiWebhook:
    return OpenApiWebhook(
        name=name,
        decorator=extend_schema(
            summary=events.EVENTS[name],
            description=SIGNATURE_HELP,
            request=_envelope(name, DATA[name]),
            responses={200: OpenApiResponse(description="Any 2xx: received.")},
        ),
    )


STATUS_REPORT_SUBMITTED = _webhook(events.STATUS_REPORT_SUBMITTED)
HEALTH_CHANGED = _webhook(events.HEALTH_CHANGED)
WATERMELON_FLAGGED = _webhook(events.WATERMELON_FLAGGED)
GATE_DECIDED = _webhook(events.GATE_DECIDED)
SCENARIO_COMMITTED = _webhook(events.SCENARIO_COMMITTED)
REVIEW_COMPLETED = _webhook(events.REVIEW_COMPLETED)
ALLOCATION_CONFLICT = _webhook(events.ALLOCATION_CONFLICT)
