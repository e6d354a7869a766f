from datetime import timedelta

import pytest
from django.utils import timezone

from access_tokens import services
from access_tokens.models import Scope


@pytest.fixture
def issue_token(db):
    """issue_token(user, scope="read", days=30, name=...) -> the plaintext of a new token."""

    def issue(user, scope=Scope.READ, days=30, name="Script"):
        expires_on = timezone.localdate() + timedelta(days=days)
        created = services.access_token_create(
            user=user, name=name, scope=scope, expires_on=expires_on
        )
        return created.plaintext

    return issue
