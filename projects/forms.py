from __future__ import annotations

from django import forms
from django.utils.formats import date_format

from core.bounds import BoundedDateField
from core.people import PersonChoiceField, active_people
from projects.dependencies import DEPENDENCY_FIELDS
from projects.models import (
    MAX_LAG_MONTHS,
    CostEntry,
    DependencyKind,
    Milestone,
    Project,
    StatusReport,
)
from projects.services import (
    PLANNING_FIELDS,
    PROJECT_EDITABLE_FIELDS,
    STATUS_REPORT_FIELDS,
    milestone_fields,
    plan_fields,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionedForm(forms.ModelForm):
    """Carries the version the editor started from, for the optimistic-concurrency check."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


class ProjectPlanForm(VersionedForm):
    """The plan; BAC only while the project has no baseline (afterwards a change request)."""

    class Meta:
        model = Project
        fields = (*PROJECT_EDITABLE_FIELDS, *PLANNING_FIELDS)
        field_classes = {"manager": PersonChoiceField, "sponsor": PersonChoiceField}
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = self.fields["program"].queryset.filter(
            portfolio_id=self.instance.portfolio_id
        )
        self.fields["manager"].queryset = active_people()
        self.fields["sponsor"].queryset = active_people()
        self.fields["budget"].label = "Budget (BAC)"
        for name in set(self.Meta.fields) - set(plan_fields(self.instance)):
            del self.fields[name]


class MilestoneForm(VersionedForm):
    class Meta:
        model = Milestone
        fields = ["name", "weight", "baseline_date", "forecast_date", "actual_date", "status"]
        widgets = {"baseline_date": DATE, "forecast_date": DATE, "actual_date": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
        if "baseline_date" not in milestone_fields(self.instance.project):
            del self.fields["baseline_date"]


class CostEntryForm(forms.ModelForm):
    class Meta:
        model = CostEntry
        fields = ["date", "amount", "category", "description"]
        widgets = {"date": DATE}


class CostUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: project_code, date (YYYY-MM-DD), amount, category, description.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 5 MB.")
        return upload


class PlanUploadForm(forms.Form):
    """A project plan file to preview before it is imported: Microsoft Project (XML or .mpp),
    Primavera P6 (XER or PMXML) or another format MPXJ reads."""

    file = forms.FileField(
        label="Project plan",
        help_text="Microsoft Project (.mpp, or XML: File › Save As › XML Format), Primavera P6 "
        "(.xer or PMXML) or another plan file MPXJ reads (.mpx, Planner, GanttProject…), at "
        "most 5 MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 5 MB.")
        return upload


class PortfolioPlanUploadForm(PlanUploadForm):
    """A plan uploaded to a portfolio: a new project, or the one it was imported as before."""

    code = forms.CharField(
        max_length=32,
        required=False,
        help_text="The new project's code, or the code of the project the plan belongs to; "
        "not needed for a plan imported before.",
    )
    name = forms.CharField(
        max_length=200, required=False, help_text="A new project's name; blank: the plan's title."
    )
    manager = PersonChoiceField(
        required=False, help_text="Who manages a new project; blank: nobody yet."
    )


class StatusReportForm(VersionedForm):
    class Meta:
        model = StatusReport
        fields = list(STATUS_REPORT_FIELDS)
        widgets = {
            "forecast_end": DATE,
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in ("summary", "accomplishments", "next_steps", "escalations")
            },
            **{
                name: forms.RadioSelect(attrs={"class": "rag-choice"})
                for name in STATUS_REPORT_FIELDS
                if name.endswith("_rag")
            },
        }
        labels = {"forecast_end": "Forecast finish", "percent_complete": "% complete"}

    def __init__(self, *args, **kwargs):
        # The period's first save has no version to claim yet; the number inputs carry their
        # bounds for the browser.
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
        self.fields["percent_complete"].widget.attrs.update(min="0", max="100", step="0.5")
        self.fields["forecast_cost"].widget.attrs.update(min="0", step="1")
        self.fields["summary"].help_text = "Required to submit: where the project stands."
        forecast = self.fields["forecast_cost"]
        forecast.label = "Forecast cost at completion"
        forecast.help_text = "Required to submit: the total cost you now expect, given anew."

    def clean_forecast_cost(self):
        # A field error here: the model only has a database constraint.
        cost = self.cleaned_data.get("forecast_cost")
        if cost is not None and cost < 0:
            raise forms.ValidationError("The forecast cost cannot be negative.")
        return cost


class ChangeRequestForm(forms.Form):
    """A new BAC, baseline dates and milestone baseline dates (one field each, filled with the
    current values; what is left as it is, is not proposed) and the reason."""

    budget = forms.DecimalField(label="BAC", min_value=0, max_digits=14, decimal_places=2)
    baseline_start = BoundedDateField(widget=DATE)
    baseline_end = BoundedDateField(widget=DATE)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the baseline should change: scope added, a replan, a funding decision…",
    )

    def __init__(self, data=None, *, project: Project, milestones):
        initial = {
            "budget": project.budget,
            "baseline_start": project.baseline_start,
            "baseline_end": project.baseline_end,
        }
        self.milestones = list(milestones)
        for milestone in self.milestones:
            initial[self.milestone_field(milestone)] = milestone.baseline_date
        super().__init__(data, initial=initial)
        for milestone in self.milestones:
            self.fields[self.milestone_field(milestone)] = BoundedDateField(
                label=f"{milestone.name} (baseline)", required=False, widget=DATE
            )

    @staticmethod
    def milestone_field(milestone: Milestone) -> str:
        return f"milestone_{milestone.pk}"

    def service_data(self) -> dict:
        names = ("budget", "baseline_start", "baseline_end", "reason")
        data = {name: self.cleaned_data[name] for name in names}
        data["milestone_dates"] = {
            milestone.pk: self.cleaned_data[self.milestone_field(milestone)]
            for milestone in self.milestones
        }
        return data


class ChangeDecisionForm(forms.Form):
    note = forms.CharField(
        label="Decision note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to reject.",
    )
    override_reason = forms.CharField(
        label="Envelope override reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="PMO admins only: why it is approved beyond the budget envelope.",
    )


class VersionForm(forms.Form):
    """Only the version the user saw: an action without input (setting the baseline,
    reopening a report, closing a risk) claims it like an edit does."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReorderForm(forms.Form):
    order = forms.CharField(widget=forms.HiddenInput)

    def clean_order(self):
        try:
            return [int(part) for part in self.cleaned_data["order"].split(",") if part]
        except ValueError as error:
            raise forms.ValidationError("The order must be a list of milestone ids.") from error


# --- Dependencies -------------------------------------------------------------------------


def short_date(value) -> str:
    return date_format(value, "j M Y")


def _milestone_label(milestone: Milestone) -> str:
    if milestone.actual_date:
        when = f"done {short_date(milestone.actual_date)}"
    elif milestone.forecast_date:
        when = f"forecast {short_date(milestone.forecast_date)}"
    elif milestone.baseline_date:
        when = f"baseline {short_date(milestone.baseline_date)}"
    else:
        when = "no date"
    return f"{milestone.name} ({when})"


HIDDEN_PROJECT = "A project you cannot open"
NO_PREDECESSOR_HELP = (
    "No other project of this portfolio is open to you. You can choose the projects you can "
    "open: the ones you manage or sponsor, or every project of a portfolio you are a member "
    "of. Ask the portfolio's PMO or a portfolio manager to add a dependency on another project."
)


class DependencyForm(forms.Form):
    """One select says both whom the project needs and what delivers it: per predecessor
    project, an option for its finish and one per milestone ("p12" or "m34"), grouped by
    project, so a milestone always belongs to the chosen project and no JavaScript is needed.
    The service checks the same rules again."""

    predecessor = forms.ChoiceField(
        label="Needs from",
        help_text="The project this one waits for, and which of its milestones delivers "
        "(or its finish).",
    )
    kind = forms.ChoiceField(choices=DependencyKind.choices, initial=DependencyKind.FINISH_TO_START)
    deliverable = forms.CharField(
        max_length=200,
        required=False,
        help_text="What is handed over, e.g. “Data architecture v2”; required for a shared "
        "deliverable.",
    )
    needed_by = BoundedDateField(widget=DATE, help_text="When this project needs it.")
    lag_months = forms.IntegerField(
        label="Lag (months)",
        min_value=0,
        max_value=MAX_LAG_MONTHS,
        initial=0,
        required=False,
        help_text="Finish to start: months this project waits after the other finishes before "
        "it may start; the optimised selection keeps starts that far apart.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Why it is needed"
    )

    def __init__(
        self, data=None, *, candidates: list[Project], instance=None, hidden_predecessor=False
    ):
        self.instance = instance
        initial = {}
        if instance is not None:
            initial = {
                "predecessor": _choice_value(instance.predecessor, instance.predecessor_milestone),
                "kind": instance.kind,
                "deliverable": instance.deliverable,
                "needed_by": instance.needed_by,
                "lag_months": instance.lag_months,
                "description": instance.description,
            }
        super().__init__(data, initial=initial)
        self._choices = {}
        groups = []
        for project in candidates:
            finish = f"{project.code} finishes ({short_date(project.end_date)})"
            options = [(f"p{project.pk}", finish)]
            self._choices[f"p{project.pk}"] = (project, None)
            for milestone in project.milestones_in_order:
                options.append((f"m{milestone.pk}", _milestone_label(milestone)))
                self._choices[f"m{milestone.pk}"] = (project, milestone)
            groups.append((f"{project.code} · {project.name}", options))
        if instance is not None:
            # The current choice stays selectable even when it is not offered any more (a
            # project of another portfolio linked by a PMO admin, or one the user cannot see).
            current = _choice_value(instance.predecessor, instance.predecessor_milestone)
            if current not in self._choices:
                milestone = instance.predecessor_milestone
                label = _milestone_label(milestone) if milestone else "its finish"
                if hidden_predecessor:
                    # A link someone else made to a project the user cannot open: kept, unnamed.
                    code, label = HIDDEN_PROJECT, "as set"
                else:
                    code = instance.predecessor.code
                groups.insert(0, (f"{code} (current)", [(current, label)]))
                self._choices[current] = (instance.predecessor, milestone)
        self.fields["predecessor"].choices = [("", "Choose a project…"), *groups]
        if not candidates:
            self.fields["predecessor"].help_text = NO_PREDECESSOR_HELP

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("predecessor")
        if choice:
            cleaned["predecessor"], cleaned["predecessor_milestone"] = self._choices[choice]
        return cleaned

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in DEPENDENCY_FIELDS}
        data["lag_months"] = data["lag_months"] or 0
        return data


def _choice_value(project: Project, milestone: Milestone | None) -> str:
    return f"m{milestone.pk}" if milestone else f"p{project.pk}"
