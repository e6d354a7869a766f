"""Forms of the review and digest pages: a user's own subscriptions, the PMO's subscribers,
a review to run now and a digest to preview."""

from django import forms
from django.contrib.auth import get_user_model

from core.people import PersonChoiceField, person_name
from reporting.models import PortfolioReview, ReviewKind
from reporting.reviews import period_label


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


class RunReviewForm(forms.Form):
    """A review to run now: its kind and period (checked by the service)."""

    kind = forms.ChoiceField(choices=ReviewKind.choices)
    period = forms.CharField(
        max_length=20,
        help_text="2026-10 for a month, 2026-Q3 for a quarter, 2026 for the fiscal year "
        "starting in 2026; any month inside the period also works.",
    )


class DigestPreviewForm(forms.Form):
    """Whose digest of which stored review to preview (read from the query string)."""

    subscriber = PersonChoiceField(queryset=get_user_model().objects.none())
    review = forms.ModelChoiceField(queryset=PortfolioReview.objects.none())

    def __init__(self, *args, subscribers, reviews, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscriber"].queryset = subscribers
        self.fields["subscriber"].label_from_instance = lambda user: (
            f"{person_name(user)} ({user.email or 'no e-mail'})"
        )
        self.fields["review"].queryset = reviews
        self.fields["review"].label_from_instance = lambda review: (
            f"{review.get_kind_display()} · {period_label(review.kind, review.period_start)}"
        )
