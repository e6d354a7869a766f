"""How a person (a user) is named and listed everywhere: by full name, falling back to the
username when no name is set, and sorted by that name. Forms use `PersonChoiceField` (or
`PeopleChoiceField`) for every user dropdown; SQL reads use `person_name_sql`; templates
the `person` filter (core/templatetags/slate.py)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim


def person_name(user) -> str:
    """The user's full name, or their username when no name is set ("" for no user)."""
    if user is None:
        return ""
    return user.get_full_name().strip() or user.get_username()


def person_name_sql(prefix: str = ""):
    """`person_name` as an SQL expression, for the user reached through `prefix` (e.g.
    "decided_by__"); NULL when there is no user."""
    full = Trim(
        Concat(
            F(f"{prefix}first_name"),
            Value(" "),
            F(f"{prefix}last_name"),
            output_field=CharField(),
        )
    )
    return Coalesce(NullIf(full, Value("")), F(f"{prefix}username"), output_field=CharField())


def by_name(queryset: QuerySet) -> QuerySet:
    """The users of `queryset` sorted by the name they are shown by, case-insensitively (the
    username breaks ties, so the order is stable)."""
    return queryset.order_by(Lower(person_name_sql()), "username")


def active_people() -> QuerySet:
    """Every active user, by name: the choices of an owner, manager or sponsor dropdown."""
    return by_name(get_user_model().objects.filter(is_active=True))


class PersonChoiceField(forms.ModelChoiceField):
    """A dropdown of people shown by full name, sorted by it."""

    def __init__(self, queryset=None, **kwargs):
        super().__init__(queryset=queryset if queryset is not None else active_people(), **kwargs)

    def _set_queryset(self, queryset):
        super()._set_queryset(None if queryset is None else by_name(queryset))

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def label_from_instance(self, obj):
        return person_name(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of people shown by full name, sorted by it."""

    def _set_queryset(self, queryset):
        super()._set_queryset(None if queryset is None else by_name(queryset))

    queryset = property(forms.ModelMultipleChoiceField._get_queryset, _set_queryset)

    def label_from_instance(self, obj):
        return person_name(obj)
