"""The Access tokens page: a user creates, lists and revokes their own tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from access_tokens import selectors, services
from access_tokens.forms import AccessTokenForm
from core.views import paginate, posted, run_service


@never_cache  # the page that shows a new token must not stay in any cache
@login_required
def token_list(request):
    form = AccessTokenForm(posted(request))
    created = None
    if request.method == "POST" and form.is_valid():
        created = run_service(
            form, lambda: services.access_token_create(user=request.user, **form.cleaned_data)
        )
        if created:
            # Shown in this response only, never redirected to: the token is in no session,
            # message or URL, and reloading the list does not show it again.
            form = AccessTokenForm()
    return render(
        request,
        "access_tokens/token_list.html",
        {
            "form": form,
            "created": created,
            "page": paginate(request, selectors.access_tokens_of(user=request.user)),
        },
    )


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(selectors.access_tokens_of(user=request.user), pk=pk)
    services.access_token_revoke(token=token, by=request.user)
    messages.success(request, f"“{token.name}” is revoked: it no longer works.")
    return redirect("access_tokens:list")
