from django import forms

from access_tokens.models import Scope
from access_tokens.services import MAX_LIFETIME, default_expiry_date


class AccessTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What uses it, so you know which to revoke: “Power BI sync”."
    )
    scope = forms.ChoiceField(
        choices=Scope.choices,
        initial=Scope.READ,
        widget=forms.RadioSelect,
        help_text="Read only may only fetch; read and write may also change what you may change.",
    )
    expires_on = forms.DateField(
        label="Works through",
        initial=default_expiry_date,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=f"The last day it works: at most {MAX_LIFETIME.days} days from today.",
    )
