"""Forms of the webhooks pages. The URL, events and secret are checked by the service
(webhooks/services.py), which names the field at fault."""

from django import forms

from core.events import EVENTS
from webhooks.models import DeliveryStatus, WebhookSubscription


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="Where Slate POSTs the events, https:// (or http://).",
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/slate"}),
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=list(EVENTS.items()), widget=forms.CheckboxSelectMultiple
    )
    secret = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Signs every delivery. Leave blank and Slate makes one; it is shown once.",
    )
    is_active = forms.BooleanField(
        label="Active", required=False, initial=True, help_text="Paused subscriptions get nothing."
    )


class SubscriptionEditForm(SubscriptionForm):
    new_secret = forms.BooleanField(
        label="Make a new secret",
        required=False,
        help_text="Slate makes a new secret and shows it once; the old one stops signing.",
    )

    def __init__(self, *args, subscription: WebhookSubscription, **kwargs):
        super().__init__(*args, **kwargs)
        secret = self.fields["secret"]
        secret.label = "Replace the secret"
        secret.help_text = f"Leave blank to keep the current one ({subscription.masked_secret})."


class DeliveryFilterForm(forms.Form):
    """The delivery log's filters (GET)."""

    status = forms.ChoiceField(
        choices=[("", "Any status"), *DeliveryStatus.choices], required=False
    )
    event = forms.ChoiceField(choices=[("", "Any event"), *EVENTS.items()], required=False)
    subscription = forms.ModelChoiceField(
        queryset=WebhookSubscription.objects.none(),
        required=False,
        empty_label="Any subscription",
    )

    def __init__(self, *args, subscriptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = subscriptions
        self.fields["subscription"].label_from_instance = lambda s: s.url

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}
