"""Forms for people, roles, capacity adjustments, allocations and capacity conflicts. They
only parse and type-check input: every rule (ranges, dates in order, the person holding the
role…) is the service's, so it has one home and one message, shown on the field it is about.

Plain forms rather than ModelForms on purpose: a ModelForm would run the model's validation
first and answer with the constraint's name instead of the service's message."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Q
from django.utils.formats import date_format

from core.bounds import (
    ID_MAX,
    BoundedDateField,
    BoundedModelMultipleChoiceField,
    validate_date_in_window,
)
from projects.forms import DATE
from resources.conflicts import MAX_SHIFT_MONTHS
from resources.models import AdjustmentKind, AllocationUnit, Calendar, Resource, Role, Skill

MONTH = forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}, format="%Y-%m")
REASON = forms.Textarea(attrs={"rows": 2})


class MonthField(forms.DateField):
    """`<input type="month">`: YYYY-MM (or any day of the month, where a browser without a
    month picker sends a date), parsed to the first day of that month."""

    widget = MONTH
    default_error_messages = {"invalid": "Enter a month as YYYY-MM."}
    default_validators = [validate_date_in_window]

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m", "%Y-%m-%d"], **kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


def month_from_query(query) -> date | None:
    """`?from=YYYY-MM`: the first month of a window (None when absent or invalid: a bad
    bookmark falls back to the default window)."""
    raw = query.get("from")
    if not raw:
        return None
    try:
        return MonthField().clean(raw)
    except forms.ValidationError:
        return None


def plain_decimal(value: Decimal) -> Decimal:
    """0.40 → 0.4 and 160.00 → 160 in an input, never 1.6E+2."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def person_label(resource: Resource) -> str:
    if resource.end_date:
        return f"{resource.name} (until {date_format(resource.end_date, 'j M Y')})"
    return resource.name


class PersonChoiceField(forms.TypedChoiceField):
    """A named person, optional, from people already loaded (grouped by role when they are
    of several): cleans to the Resource without another query."""

    def __init__(self, *, people: Iterable[Resource] = (), empty_label="", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(coerce=int, empty_value=None, **kwargs)
        self.people = {person.pk: person for person in people}
        by_role = defaultdict(list)
        for person in self.people.values():
            by_role[person.role.name].append((person.pk, person_label(person)))
        # One role (a decision on its request): a flat list; several: a group per role.
        options = next(iter(by_role.values())) if len(by_role) == 1 else sorted(by_role.items())
        self.choices = [("", empty_label), *options]

    def clean(self, value):
        pk = super().clean(value)
        return self.people.get(pk) if pk is not None else None


# People ---------------------------------------------------------------------------------------


class PersonForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(required=False)
    role = forms.ModelChoiceField(queryset=Role.objects.order_by("name"))
    fte = forms.DecimalField(
        label="FTE", initial=1, help_text="1 = full time, 0.5 = half time.", decimal_places=2
    )
    cost_rate = forms.DecimalField(initial=0, help_text="Per hour.", decimal_places=2)
    calendar = forms.ModelChoiceField(
        queryset=Calendar.objects.order_by("name"),
        required=False,
        empty_label="Default: 8 hours a day, no public holidays",
        help_text="Hours per day and public holidays of their working calendar.",
    )
    start_date = BoundedDateField(widget=DATE)
    end_date = BoundedDateField(widget=DATE, required=False, help_text="Blank while they stay.")
    skills = BoundedModelMultipleChoiceField(
        queryset=Skill.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class CapacityAdjustmentForm(forms.Form):
    kind = forms.ChoiceField(choices=AdjustmentKind.choices, initial=AdjustmentKind.LEAVE)
    start_date = BoundedDateField(widget=DATE, label="First day")
    end_date = BoundedDateField(widget=DATE, label="Last day")
    hours_per_day = forms.DecimalField(
        required=False,
        decimal_places=2,
        label="Hours per day",
        help_text="Hours lost on each working day; blank means whole days.",
    )
    note = forms.CharField(max_length=200, required=False)


class RoleForm(forms.Form):
    name = forms.CharField(max_length=100)
    default_cost_rate = forms.DecimalField(initial=0, decimal_places=2, help_text="Per hour.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class PeopleFilter(django_filters.FilterSet):
    """The people list's filters (they live in the URL): name search, role, skill."""

    q = django_filters.CharFilter(method="filter_name", label="Name")
    role = django_filters.NumberFilter(field_name="role", min_value=1, max_value=ID_MAX)
    skill = django_filters.NumberFilter(field_name="skills", min_value=1, max_value=ID_MAX)

    class Meta:
        model = Resource
        fields = ["q", "role", "skill"]

    def filter_name(self, queryset, _name, value):
        return queryset.filter(Q(name__icontains=value.strip()))


# Allocations ----------------------------------------------------------------------------------


class AllocationRequestForm(forms.Form):
    role = forms.ModelChoiceField(
        queryset=Role.objects.order_by("name"), empty_label="Choose a role"
    )
    resource = PersonChoiceField(label="Person")
    start_month = MonthField(label="First month")
    end_month = MonthField(label="Last month")
    unit = forms.ChoiceField(choices=AllocationUnit.choices, initial=AllocationUnit.FTE)
    amount = forms.DecimalField(
        max_digits=7,
        decimal_places=2,
        help_text="FTE (0.5 = half time, at most 1) or hours per month.",
    )

    def __init__(self, *args, people: Iterable[Resource] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"] = PersonChoiceField(
            label="Person",
            people=people,
            empty_label="Anyone of the role",
            help_text="Optional: name someone, or let the resource manager pick.",
        )


class OverrideFields(forms.Form):
    """Over-allocating on purpose: refused unless ticked, with a reason (the service decides
    whether the request over-allocates, and says so on `override`)."""

    override = forms.BooleanField(
        required=False,
        label="Over-allocate anyway",
        help_text="Confirm although it puts the person over capacity in the months shown.",
    )
    override_reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=REASON,
        label="Why over-allocate (recorded)",
    )

    def drop_override(self):
        """Nothing would be over capacity: no override to offer."""
        for name in ("override", "override_reason"):
            self.fields.pop(name, None)


class AllocationChangeForm(OverrideFields):
    """Confirm with changes: another person of the role, other months, another amount."""

    resource = PersonChoiceField(label="Person")
    start_month = MonthField(label="First month")
    end_month = MonthField(label="Last month")
    amount = forms.DecimalField(max_digits=7, decimal_places=2)
    # Required as soon as anything changed: the service says so, with the other problems.
    reason = forms.CharField(
        required=False, widget=REASON, help_text="Required for a change: the requester sees it."
    )
    field_order = ["resource", "start_month", "end_month", "amount", "reason"]

    def __init__(
        self, *args, allocation, people: Iterable[Resource] = (), with_override=True, **kwargs
    ):
        kwargs.setdefault(
            "initial",
            {
                "resource": allocation.resource_id,
                "start_month": allocation.start_month,
                "end_month": allocation.end_month,
                "amount": plain_decimal(allocation.amount),
            },
        )
        super().__init__(*args, **kwargs)
        people = list(people)
        if allocation.resource_id and allocation.resource_id not in {p.pk for p in people}:
            people.append(allocation.resource)  # the person asked for, even if they left
        self.fields["resource"] = PersonChoiceField(
            label="Person", people=people, empty_label=f"Anyone: {allocation.role}"
        )
        self.fields["amount"].label = f"Amount ({allocation.get_unit_display()})"
        if not with_override:  # the queue: the override belongs beside the preview
            self.drop_override()


class AllocationRejectForm(forms.Form):
    reason = forms.CharField(
        widget=REASON,
        error_messages={"required": "Say why you reject the request: the requester sees it."},
    )


class AllocationConfirmForm(OverrideFields):
    reason = forms.CharField(required=False, widget=REASON, label="Note (optional)")
    field_order = ["reason"]


class AllocationUndoForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=REASON,
        label="Why (recorded; the requester sees it)",
        error_messages={"required": "Say why you undo the confirmation: it is recorded."},
    )


# --- Resolving a capacity conflict ----------------------------------------------------------


class ShiftForm(forms.Form):
    scope = forms.CharField(widget=forms.HiddenInput, required=False)
    allocation = forms.IntegerField(widget=forms.HiddenInput)
    months = forms.IntegerField(min_value=1, max_value=MAX_SHIFT_MONTHS, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=2000, widget=REASON, label="Why (for the record)")


class ReleaseForm(forms.Form):
    scope = forms.CharField(widget=forms.HiddenInput, required=False)
    allocation = forms.IntegerField(widget=forms.HiddenInput)
    hours = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_digits=11,
        decimal_places=4,
        widget=forms.HiddenInput,
    )
    release = forms.ChoiceField(choices=[("reduce", "Reduce"), ("reject", "Reject")])
    reason = forms.CharField(max_length=2000, widget=REASON, label="Why (for the record)")

    def clean(self):
        data = super().clean()
        if data.get("release") == "reduce" and not data.get("hours"):
            raise forms.ValidationError("Say how many hours to release.")
        return data


class ReassignForm(forms.Form):
    scope = forms.CharField(widget=forms.HiddenInput, required=False)
    allocation = forms.IntegerField(widget=forms.HiddenInput)
    person = forms.IntegerField(
        label="Colleague", error_messages={"required": "Choose who takes it over."}
    )
    reason = forms.CharField(max_length=2000, widget=REASON, label="Why (for the record)")


class PlanRolesForm(forms.Form):
    """The role each of a plan's people is requested as (one field per plan resource; blank:
    not requested). A request somebody already decided is shown, not changed."""

    def __init__(self, data=None, *, requests):
        super().__init__(data)
        self.requests = requests
        roles = Role.objects.order_by("name")
        for request in requests:
            self.fields[self.field_name(request)] = forms.ModelChoiceField(
                queryset=roles,
                required=False,
                empty_label="— Do not request —",
                initial=request.suggested_role,
                disabled=request.is_decided,
                label=request.resource.name or f"Resource {request.resource.uid}",
            )

    @staticmethod
    def field_name(request) -> str:
        return f"role_{request.resource.uid}"

    def rows(self):
        return [(request, self[self.field_name(request)]) for request in self.requests]

    def roles(self) -> dict:
        return {
            request.resource.uid: self.cleaned_data.get(self.field_name(request))
            for request in self.requests
        }
