from django import forms
from django.contrib.auth import get_user_model

from core.people import PersonChoiceField, active_people
from projects.forms import DATE, VersionedForm
from risks import scoring, selectors
from risks.models import Risk
from risks.services import RISK_FIELDS


class RiskForm(VersionedForm):
    class Meta:
        model = Risk
        fields = RISK_FIELDS
        field_classes = {"owner": PersonChoiceField}
        widgets = {
            "due_date": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "response_plan": forms.Textarea(attrs={"rows": 3}),
            "probability": forms.Select(
                choices=[
                    (level, f"{level} — {scoring.probability_percent(level)} %")
                    for level in scoring.LEVELS
                ]
            ),
            "impact": forms.Select(
                choices=[
                    (1, "1 — minimal"),
                    (2, "2 — minor"),
                    (3, "3 — moderate"),
                    (4, "4 — major"),
                    (5, "5 — severe"),
                ]
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = active_people()
        if not self.instance.pk:
            self.fields["version"].required = False
            self.fields["status"].choices = [
                c for c in self.fields["status"].choices if c[0] in ("open", "monitoring")
            ]


class EscalateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    portfolio_risk = forms.ModelChoiceField(
        queryset=Risk.objects.none(),
        required=False,
        empty_label="Create a new portfolio risk from this one",
        help_text="Or link to a portfolio risk that already covers it.",
    )
    owner = PersonChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label="Owner of the new portfolio risk",
        help_text="Someone who sees the portfolio's risks; a linked portfolio risk keeps its "
        "owner.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the portfolio should own this risk.",
    )

    def __init__(self, *args, risk, by, **kwargs):
        super().__init__(*args, **kwargs)
        portfolio = risk.project.portfolio
        self.fields["portfolio_risk"].queryset = Risk.objects.filter(
            portfolio_id=risk.portfolio_id, project__isnull=True
        ).exclude(status="closed")
        self.fields["owner"].queryset = selectors.portfolio_risk_owners(
            portfolio=portfolio, project=risk.project
        )
        if not self.is_bound:
            self.initial["version"] = risk.version
            self.initial["owner"] = selectors.default_portfolio_risk_owner(
                portfolio=portfolio, escalated_by=by
            ).pk
