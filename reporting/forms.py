"""Forms of the digest pages: a user's own subscriptions and the PMO's subscribers."""

from django import forms
from django.contrib.auth import get_user_model

from core.people import PersonChoiceField
from reporting.models import ReviewKind


class SubscriptionForm(forms.Form):
    """One set of review kinds per portfolio (`p<id>`), ticked where the user subscribes."""

    def __init__(self, *args, portfolios, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.portfolios = list(portfolios)
        for portfolio in self.portfolios:
            self.fields[f"p{portfolio.pk}"] = forms.MultipleChoiceField(
                label=portfolio.name,
                choices=ReviewKind.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=[kind for pk, kind in current if pk == portfolio.pk],
            )


class SubscriberForm(forms.Form):
    user = PersonChoiceField(queryset=get_user_model().objects.none())
    kinds = forms.MultipleChoiceField(
        choices=ReviewKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
