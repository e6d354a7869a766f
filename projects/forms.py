from django import forms
from django.contrib.auth import get_user_model

from portfolio.models import Program
from projects.models import CostEntry, Milestone, Project, StatusReport
from projects.services import STATUS_REPORT_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionedForm(forms.ModelForm):
    """Carries the version the editor started from, for the optimistic-concurrency check."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


def _people():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class ProjectPlanForm(VersionedForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "description",
            "program",
            "stage",
            "manager",
            "sponsor",
            "start_date",
            "end_date",
            "budget",
            "expected_benefit",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.filter(
            portfolio_id=self.instance.portfolio_id
        )
        self.fields["manager"].queryset = _people()
        self.fields["sponsor"].queryset = _people()
        self.fields["budget"].label = "Budget (BAC)"


class MilestoneForm(VersionedForm):
    class Meta:
        model = Milestone
        fields = ["name", "weight", "baseline_date", "forecast_date", "actual_date", "status"]
        widgets = {"baseline_date": DATE, "forecast_date": DATE, "actual_date": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False


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


class BaselineForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReorderForm(forms.Form):
    order = forms.CharField(widget=forms.HiddenInput)

    def clean_order(self):
        try:
            return [int(part) for part in self.cleaned_data["order"].split(",") if part]
        except ValueError as error:
            raise forms.ValidationError("The order must be a list of milestone ids.") from error
