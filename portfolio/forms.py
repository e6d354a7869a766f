"""Forms of the portfolio pages: strategy, candidates, gate decisions, selection and
scenarios. They only parse input: every rule about the set (weights adding up to 100,
requires cycles, who may do what) lives in portfolio.services and portfolio.scenarios, whose
refusals the views attach back to these forms (`apply_set_error`, `run_service`)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone

from core import access
from core.bounds import (
    BoundedDateField,
    BoundedModelMultipleChoiceField,
    validate_date_in_window,
)
from core.spreadsheets import MAX_BYTES as MAX_SPREADSHEET_BYTES
from portfolio import onboarding
from portfolio.models import (
    Contribution,
    CriterionDirection,
    CriterionStatus,
    GateOutcome,
    OnboardingKind,
    Portfolio,
    Program,
    ScoringCriterion,
    StrategicObjective,
)
from portfolio.selection import COMMITTED_STAGES, MODEL_STAGES
from portfolio.services import (
    ANCHOR_LEVELS,
    INTAKE_STAGES,
    assessment_field_name,
    score_field_name,
)
from projects.models import Project
from projects.querysets import Stage
from resources.models import ROLE_REQUEST_MAX_FTE, Role

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
WEIGHT_WIDGET = forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"})
MONEY_FIELD = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0")}
TIMING_MONTH_FIELDS = ("earliest_start", "latest_start", "target_launch", "value_deadline")


class MonthField(forms.DateField):
    """A month (`<input type="month">`, "2027-01"), cleaned to its first day."""

    widget = MONTH
    input_formats = ["%Y-%m", "%Y-%m-%d"]
    default_validators = [validate_date_in_window]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


# --- Sets edited together (objectives, criteria) ---------------------------------------------


class RowForm(forms.Form):
    """A row of a set formset: `id` is blank for a new row."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ObjectiveForm(RowForm):
    name = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"placeholder": "New objective"})
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 30})
    )
    weight = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, widget=WEIGHT_WIDGET
    )
    active_from = BoundedDateField(widget=DATE)
    active_until = BoundedDateField(widget=DATE, required=False)
    deactivate = forms.BooleanField(
        required=False, help_text="Ends the objective yesterday; it stops counting today."
    )


def objective_initial(objective: StrategicObjective) -> dict:
    return {
        "id": objective.pk,
        "name": objective.name,
        "description": objective.description,
        "weight": objective.weight,
        "active_from": objective.active_from,
        "active_until": objective.active_until,
    }


class SetFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        """The cleaned rows to save: every existing row, and the new rows filled in."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and (form.cleaned_data.get("id") or form.has_changed())
        ]

    def row_forms(self) -> list[forms.Form]:
        """The forms behind `rows()`, in the same order (for attaching row errors)."""
        return [
            form
            for form in self.forms
            if form.cleaned_data and (form.cleaned_data.get("id") or form.has_changed())
        ]


class ObjectiveFormSetBase(SetFormSet):
    def counted_forms(self, today):
        """The rows active on `today` once saved: the ones whose weights must add up."""
        counted = []
        for form in self.row_forms():
            data = form.cleaned_data
            starts, ends = data.get("active_from"), data.get("active_until")
            if data.get("deactivate") or not starts or starts > today:
                continue
            if ends is None or ends >= today:
                counted.append(form)
        return counted


ObjectiveFormSet = forms.formset_factory(ObjectiveForm, formset=ObjectiveFormSetBase, extra=1)


class CriterionForm(RowForm):
    name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"placeholder": "New criterion"})
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 30})
    )
    weight = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, widget=WEIGHT_WIDGET
    )
    direction = forms.ChoiceField(choices=CriterionDirection.choices)
    delete = forms.BooleanField(required=False, help_text="Removes it and its scores.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for level in ANCHOR_LEVELS:
            self.fields[f"anchor_{level}"] = forms.CharField(
                label=f"{level}",
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": f"What {level} means"}),
            )

    def anchor_fields(self):
        return [self[f"anchor_{level}"] for level in ANCHOR_LEVELS]

    def to_row(self) -> dict:
        data = dict(self.cleaned_data)
        data["anchors"] = {
            level: data.pop(f"anchor_{level}")
            for level in ANCHOR_LEVELS
            if f"anchor_{level}" in data
        }
        return data


def criterion_initial(criterion: ScoringCriterion) -> dict:
    anchors = criterion.anchors or {}
    return {
        "id": criterion.pk,
        "name": criterion.name,
        "description": criterion.description,
        "weight": criterion.weight,
        "direction": criterion.direction,
        **{f"anchor_{level}": anchors.get(level, "") for level in ANCHOR_LEVELS},
    }


class CriterionFormSetBase(SetFormSet):
    def rows(self) -> list[dict]:
        return [form.to_row() for form in self.row_forms() if not form.cleaned_data.get("delete")]

    def row_forms(self):
        return [form for form in super().row_forms() if not form.cleaned_data.get("delete")]

    def delete_ids(self) -> list[int]:
        return [
            form.cleaned_data["id"]
            for form in self.forms
            if form.cleaned_data and form.cleaned_data.get("delete") and form.cleaned_data["id"]
        ]


CriterionFormSet = forms.formset_factory(CriterionForm, formset=CriterionFormSetBase, extra=1)


def apply_row_errors(formset, error, *, skip_errored=False) -> list[forms.Form]:
    """Attach `SetValidationError.row_errors` to the formset's saved rows; returns them.
    With `skip_errored`, a field that already has an error (the form's own) keeps only it."""
    rows = formset.row_forms()
    for index, messages_by_field in getattr(error, "row_errors", {}).items():
        form = rows[index]
        for name, messages in messages_by_field.items():
            target = name if name in form.fields else None
            if skip_errored and (form.has_error(target) if target else form.non_field_errors()):
                continue
            for message in messages:
                form.add_error(target, message)
    return rows


def apply_set_error(formset, error, *, marked_rows=None) -> None:
    """Attach a refusal of a set service to its formset: each row's own errors
    (`SetValidationError.row_errors`) to that row's form; errors about the set to
    `formset.set_errors` (shown above the table) and, when keyed by a field such as "weight",
    also to that field of every form in `marked_rows` (default: every saved row), in the
    short form of `SetValidationError.field_hints`, so each weight taking part in the wrong
    sum is marked."""
    rows = apply_row_errors(formset, error)
    set_messages = []
    by_field = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for name, messages in by_field.items():
        for message in messages:
            set_messages.append(message)
            if name in (None, NON_FIELD_ERRORS):
                continue
            hint = getattr(error, "field_hints", {}).get(name, message)
            for form in rows if marked_rows is None else marked_rows:
                if name in form.fields:
                    form.add_error(name, hint)
    formset.set_errors = set_messages


# --- Contribution matrix and scores ----------------------------------------------------------


class ContributionMatrixForm(forms.Form):
    """One select (none / low / medium / high) per project × objective cell of a page."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.cells = {}
        for row in rows:
            for cell in row.cells:
                self.fields[cell.field_name] = forms.TypedChoiceField(
                    choices=Contribution.choices,
                    coerce=int,
                    initial=cell.level,
                    label=cell.objective_name,
                    widget=forms.Select(attrs={"class": f"level level-{cell.level}"}),
                )
                self.cells[cell.field_name] = (row.project.pk, cell.objective_id)

    def levels(self) -> dict[tuple[int, int], int]:
        return {self.cells[name]: value for name, value in self.cleaned_data.items()}


class ProjectScoresForm(forms.Form):
    """One select per criterion, each level showing its written anchor."""

    def __init__(self, *args, criteria, scores: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            anchors = criterion.anchors or {}
            choices = [("", "Not scored")] + [
                (int(level), f"{level} — {anchors[level]}" if anchors.get(level) else level)
                for level in ANCHOR_LEVELS
            ]
            self.fields[score_field_name(criterion.pk)] = forms.TypedChoiceField(
                label=criterion.name,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial=scores.get(criterion.pk),
                help_text=criterion.get_direction_display(),
            )

    def scores(self) -> dict[int, int | None]:
        return {
            criterion.pk: self.cleaned_data.get(score_field_name(criterion.pk))
            for criterion in self.criteria
        }


# --- Candidate intake --------------------------------------------------------------------------


class CandidateForm(forms.ModelForm):
    """The business case of a proposed project (an idea or a candidate)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    class Meta:
        model = Project
        fields = [
            "name",
            "code",
            "stage",
            "program",
            "description",
            "annual_benefit",
            "annual_cost",
            "budget",
            "expected_benefit",
            "start_date",
            "end_date",
            "is_mandatory",
            "earliest_start",
            "latest_start",
            "target_launch",
            "value_decay_percent",
            "value_deadline",
            "requires",
            "excludes",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "value_decay_percent": forms.NumberInput(
                attrs={"step": "0.5", "min": "0", "max": "100"}
            ),
            "description": forms.Textarea(attrs={"rows": 3}),
            "requires": forms.SelectMultiple(attrs={"size": 6}),
            "excludes": forms.SelectMultiple(attrs={"size": 6}),
        }
        field_classes = {
            "requires": BoundedModelMultipleChoiceField,
            "excludes": BoundedModelMultipleChoiceField,
            **dict.fromkeys(TIMING_MONTH_FIELDS, MonthField),
        }
        labels = {
            "annual_benefit": "Expected benefit per year",
            "annual_cost": "Cost per year",
            "budget": "Budget (total cost)",
            "expected_benefit": "Expected benefit over the project's life",
            "is_mandatory": "Mandatory (regulatory or contractual)",
            "value_decay_percent": "Value lost per month late (%)",
        }
        help_texts = {
            "expected_benefit": "",
            "is_mandatory": "Selection must then include it.",
            "requires": "Projects this one cannot go ahead without.",
            "excludes": "Projects that cannot go ahead together with this one (both ways).",
            "code": "Unique in the portfolio, e.g. ABC-NEW.",
            "earliest_start": "The first month the selection may start it in; blank: its "
            "planned start. Its role requests and spend move with the start.",
            "latest_start": "The last month it may start in; blank: its planned start.",
            "target_launch": "Optional market window: finishing after this month loses value.",
            "value_deadline": "Optional: finishing after this month makes it worth nothing.",
        }

    # The fieldsets the template shows the timing fields in, after the business case.
    timing_fields = ("earliest_start", "latest_start")
    market_fields = ("target_launch", "value_decay_percent", "value_deadline")

    def __init__(self, *args, portfolio, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(s.value, s.label) for s in INTAKE_STAGES]
        self.fields["program"].queryset = Program.objects.filter(portfolio=portfolio)
        if not access.can_manage_portfolio(user, portfolio):
            # Only the portfolio's PMO and portfolio managers decide what selection must take.
            del self.fields["is_mandatory"]
        others = Project.objects.visible_to(user).filter(portfolio=portfolio).order_by("code")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
            self.fields["code"].disabled = True
            if not self.is_bound:
                self.initial["version"] = self.instance.version
        for name in ("requires", "excludes"):
            self.fields[name].queryset = others
            self.fields[name].required = False
        for name in ("annual_benefit", "annual_cost", "budget", "expected_benefit"):
            self.fields[name].min_value = 0
            self.fields[name].widget.attrs["min"] = "0"
        # Blank means no decay, so a proposal without a market window needs no number here.
        self.fields["value_decay_percent"].required = False

    def _post_clean(self):
        # The service validates the project (and its links) as a whole; the form only parses.
        pass

    def case_fields(self):
        """The business case's fields, without the timing ones (shown in their fieldsets)."""
        timing = {*self.timing_fields, *self.market_fields}
        return [field for field in self.visible_fields() if field.name not in timing]

    def start_window_fields(self):
        return [self[name] for name in self.timing_fields]

    def market_window_fields(self):
        return [self[name] for name in self.market_fields]

    def business_case(self) -> dict:
        case = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("code", "requires", "excludes", "version")
        }
        if "value_decay_percent" in case and case["value_decay_percent"] is None:
            case["value_decay_percent"] = Decimal("0")
        return case


class RoleRequestForm(forms.Form):
    role = forms.ModelChoiceField(queryset=Role.objects.order_by("name"))
    start_month = MonthField(label="First month")
    end_month = MonthField(label="Last month")
    fte = forms.DecimalField(
        label="FTE",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=ROLE_REQUEST_MAX_FTE,
        widget=forms.NumberInput(
            attrs={"step": "0.05", "min": "0.05", "max": str(ROLE_REQUEST_MAX_FTE)}
        ),
        help_text=f"Per month, 0.05–{ROLE_REQUEST_MAX_FTE}: 2.5 is two and a half people.",
    )


class RoleRequestFormSetBase(SetFormSet):
    def rows(self) -> list[dict]:
        return [form.cleaned_data for form in self.row_forms()]

    def row_forms(self):
        return [form for form in self.forms if form.cleaned_data and form.has_changed()]


RoleRequestFormSet = forms.formset_factory(RoleRequestForm, formset=RoleRequestFormSetBase, extra=3)


# --- Synergies --------------------------------------------------------------------------------


class SynergyForm(forms.Form):
    name = forms.CharField(max_length=200)
    members = BoundedModelMultipleChoiceField(
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        label="Projects",
        help_text="At least two projects of the portfolio.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why they are worth more together, e.g. “one launch campaign”.",
    )
    value_bonus = forms.DecimalField(
        label="Value bonus",
        required=False,
        help_text="Value added when every one of them is chosen.",
        **MONEY_FIELD,
    )
    cost_saving = forms.DecimalField(
        label="Cost saving",
        required=False,
        help_text="Cost saved when they are chosen together (a shared deliverable built once).",
        **MONEY_FIELD,
    )

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = (
            Project.objects.filter(portfolio=portfolio)
            .exclude(stage__in=(Stage.CLOSED, Stage.CANCELLED))
            .order_by("code")
        )
        self.fields["members"].label_from_instance = _project_label

    def data_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "reason": data["reason"],
            "value_bonus": data.get("value_bonus") or Decimal("0"),
            "cost_saving": data.get("cost_saving") or Decimal("0"),
        }


def synergy_initial(synergy) -> dict:
    return {
        "name": synergy.name,
        "reason": synergy.reason,
        "value_bonus": synergy.value_bonus,
        "cost_saving": synergy.cost_saving,
        "members": [member.pk for member in synergy.members.all()],
    }


# --- Gate decisions ------------------------------------------------------------------------


class GateDecisionForm(forms.Form):
    to_stage = forms.ChoiceField(label="Gate to")
    outcome = forms.ChoiceField(choices=GateOutcome.choices, widget=forms.RadioSelect)
    decided_on = BoundedDateField(label="Decided on", widget=DATE)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    conditions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What must hold for the decision to stand, e.g. “funding confirmed by Q2”.",
    )
    override_reason = forms.CharField(
        label="Override reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only for a go while some criteria are neither met nor waived: why "
        "the project goes ahead anyway. Stored with the decision and shown on the audit page.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, project, targets, checklists=None, previous=None, **kwargs):
        """`checklists`: the criteria of each gate in `targets`
        (strategy.gate_checklists); `previous`: by criterion id, its assessment at the
        project's latest decision at that gate (strategy.latest_assessments), the starting
        point of the form."""
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].choices = [(stage, Stage(stage).label) for stage in targets]
        self.checklists = checklists or {}
        previous = previous or {}
        for criteria in self.checklists.values():
            for criterion in criteria:
                before = previous.get(criterion.pk)
                pk = criterion.pk
                self.fields[assessment_field_name(pk, "status")] = forms.ChoiceField(
                    label=criterion.name,
                    choices=CriterionStatus.choices,
                    initial=before.status if before else CriterionStatus.NOT_MET,
                    widget=forms.RadioSelect(attrs={"class": "criterion-status"}),
                    required=False,
                )
                self.fields[assessment_field_name(pk, "evidence")] = forms.CharField(
                    label=f"Evidence for “{criterion.name}”",
                    required=False,
                    max_length=2000,
                    initial=before.evidence if before else "",
                    widget=forms.TextInput(attrs={"placeholder": "Note: who, what, when"}),
                )
                self.fields[assessment_field_name(pk, "evidence_link")] = forms.URLField(
                    label=f"Link for “{criterion.name}”",
                    required=False,
                    max_length=500,
                    assume_scheme="https",
                    initial=before.evidence_link if before else "",
                    widget=forms.URLInput(attrs={"placeholder": "https://…"}),
                )
        if not self.is_bound:
            self.initial.update(
                {
                    "decided_on": timezone.localdate(),
                    "version": project.version,
                    "to_stage": targets[0] if targets else "",
                }
            )

    def base_fields_only(self):
        """The decision's own fields (the criteria are drawn in their own table)."""
        return [
            self[name] for name in ("to_stage", "outcome", "decided_on", "rationale", "conditions")
        ]

    def checklist_rows(self):
        """(gate label, [(criterion, status field, evidence field, link field)]) per gate."""
        return [
            (
                Stage(gate).label,
                gate,
                [
                    (
                        criterion,
                        self[assessment_field_name(criterion.pk, "status")],
                        self[assessment_field_name(criterion.pk, "evidence")],
                        self[assessment_field_name(criterion.pk, "evidence_link")],
                    )
                    for criterion in criteria
                ],
            )
            for gate, criteria in self.checklists.items()
            if criteria
        ]

    def assessments(self, gate: str) -> dict[int, dict]:
        """The assessments of the gate's criteria, for services.record_gate_decision."""
        return {
            criterion.pk: {
                field: self.cleaned_data.get(assessment_field_name(criterion.pk, field)) or ""
                for field in ("status", "evidence", "evidence_link")
            }
            for criterion in self.checklists.get(gate, [])
        }


# --- Gate criteria (a portfolio's checklist per gate) ---------------------------------------


class GateCriterionForm(RowForm):
    name = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"placeholder": "New criterion"})
    )
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "cols": 30})
    )
    position = forms.IntegerField(
        label="Order",
        min_value=1,
        max_value=999,
        required=False,
        widget=forms.NumberInput(attrs={"min": "1", "max": "999", "step": "1"}),
    )
    delete = forms.BooleanField(
        required=False, help_text="Removes it; decisions already taken keep it."
    )


def gate_criterion_initial(criterion) -> dict:
    return {
        "id": criterion.pk,
        "name": criterion.name,
        "description": criterion.description,
        "position": criterion.position,
    }


class GateCriterionFormSetBase(SetFormSet):
    def rows(self) -> list[dict]:
        return [form.cleaned_data for form in self.row_forms()]

    def row_forms(self):
        return [form for form in super().row_forms() if not form.cleaned_data.get("delete")]

    def delete_ids(self) -> list[int]:
        return [
            form.cleaned_data["id"]
            for form in self.forms
            if form.cleaned_data and form.cleaned_data.get("delete") and form.cleaned_data["id"]
        ]


GateCriterionFormSet = forms.formset_factory(
    GateCriterionForm, formset=GateCriterionFormSetBase, extra=2, max_num=50, validate_max=True
)


# --- Selection and scenarios ----------------------------------------------------------------


class BudgetForm(forms.Form):
    budget = forms.DecimalField(label="Budget per year", required=False, **MONEY_FIELD)


class TimingSaveForm(forms.Form):
    """Keep the timing view's plan in a scenario: a new one needs a name."""

    name = forms.CharField(max_length=200, required=False, label="Scenario name")
    budget = forms.DecimalField(required=False, widget=forms.HiddenInput, **MONEY_FIELD)

    def __init__(self, *args, need_name: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.need_name = need_name

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if self.need_name and not name:
            raise forms.ValidationError("Name the scenario.")
        return name


class ScenarioForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="What it explores"
    )
    budget_limit = forms.DecimalField(label="Budget per year", **MONEY_FIELD)
    forced_in = BoundedModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    forced_out = BoundedModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    stopped = BoundedModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Stop",
        help_text="Running and approved projects are in every slate; committing the scenario "
        "records a no-go for each one ticked here, which cancels it.",
    )

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        projects = Project.objects.filter(portfolio=portfolio).order_by("code")
        choices = projects.filter(stage__in=MODEL_STAGES).exclude(stage__in=COMMITTED_STAGES)
        for name in ("forced_in", "forced_out"):
            self.fields[name].queryset = choices
            self.fields[name].label_from_instance = _project_label
        self.fields["stopped"].queryset = projects.filter(
            stage__in=COMMITTED_STAGES, is_mandatory=False
        )
        self.fields["stopped"].label_from_instance = _project_label
        self.fields["forced_in"].label = "Force in"
        self.fields["forced_out"].label = "Force out"


def scenario_initial(scenario) -> dict:
    return {
        "name": scenario.name,
        "description": scenario.description,
        "budget_limit": scenario.budget_limit,
        "forced_in": list(scenario.forced_in.values_list("pk", flat=True)),
        "forced_out": list(scenario.forced_out.values_list("pk", flat=True)),
        "stopped": list(scenario.stopped.values_list("pk", flat=True)),
    }


def _project_label(project) -> str:
    return f"{project.code} · {project.name} ({project.get_stage_display().lower()})"


class CapacityChangeForm(forms.Form):
    role = forms.ModelChoiceField(queryset=None, required=False, to_field_name="name")
    first_month = BoundedDateField(required=False, input_formats=["%Y-%m"], widget=MONTH)
    last_month = BoundedDateField(required=False, input_formats=["%Y-%m"], widget=MONTH)
    hours = forms.DecimalField(
        required=False, max_digits=8, decimal_places=1, help_text="per month, + or −"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.order_by("name")

    def clean(self):
        data = super().clean()
        filled = [data.get(name) not in (None, "") for name in self.fields]
        if not any(filled):
            return data
        for name in self.fields:
            if data.get(name) in (None, ""):
                self.add_error(name, "Fill in role, months and hours, or leave the row empty.")
        first, last = data.get("first_month"), data.get("last_month")
        if first and last and last < first:
            self.add_error("last_month", "The last month must not be before the first.")
        if data.get("hours") == 0:
            self.add_error("hours", "Give a number of hours other than zero.")
        return data


CapacityFormSet = forms.formset_factory(CapacityChangeForm, extra=3, max_num=60)


# --- Onboarding from a spreadsheet -------------------------------------------------------------


class OnboardingUploadForm(forms.Form):
    """What the file holds, where its projects go, and the file."""

    kind = forms.ChoiceField(
        label="The file lists",
        choices=OnboardingKind.choices,
        initial=OnboardingKind.PROJECTS,
        widget=forms.RadioSelect,
    )
    portfolio = forms.ModelChoiceField(
        queryset=Portfolio.objects.none(),
        required=False,
        empty_label="The file says, in a column",
        help_text="Projects: the portfolio every row goes to, or a column of portfolio codes.",
    )
    file = forms.FileField(
        label="Spreadsheet",
        help_text="Excel (.xlsx) or CSV, the first row naming the columns; at most 5 MB and "
        "5,000 rows.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, portfolios, can_import_portfolios: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["portfolio"].queryset = portfolios
        if not can_import_portfolios:
            self.fields["kind"].choices = [(OnboardingKind.PROJECTS, OnboardingKind.PROJECTS.label)]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_SPREADSHEET_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        return upload

    def clean(self):
        data = super().clean()
        if data.get("kind") == OnboardingKind.PORTFOLIOS:
            data["portfolio"] = None
        return data


NOT_IMPORTED = ""


def mapping_field_name(index: int) -> str:
    return f"column_{index}"


class OnboardingMappingForm(forms.Form):
    """One choice per column of the file: the Slate field it fills, or not imported; and the
    name under which to remember the mapping."""

    template_name = forms.CharField(
        label="Remember as",
        max_length=100,
        required=False,
        help_text="A name to find this mapping under next time; blank: not remembered.",
    )
    share = forms.BooleanField(
        label="Share with the portfolio's PMO and portfolio managers",
        required=False,
    )

    def __init__(self, *args, headers, kind, mapping, can_share: bool, samples=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = list(headers)
        choices = [(NOT_IMPORTED, "Not imported")] + [
            (f.key, f"{f.label}{' *' if f.required else ''}") for f in onboarding.FIELDS[kind]
        ]
        self.columns = []
        for index, header in enumerate(self.headers):
            name = mapping_field_name(index)
            self.fields[name] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=mapping.get(header, "")
            )
            self.columns.append((index, header, name, samples[index] if samples else ()))
        if not can_share:
            del self.fields["share"]

    def mapping(self) -> dict:
        return {
            header: self.cleaned_data.get(mapping_field_name(index), "")
            for index, header in enumerate(self.headers)
        }

    def bound_columns(self):
        """(header, bound field, sample values) for the template's table."""
        return [(header, self[name], sample) for _index, header, name, sample in self.columns]
