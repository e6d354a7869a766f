"""The webhooks pages of a portfolio, for its PMO and portfolio managers (and PMO admins):
subscriptions (list, create, edit, delete), the delivery log, one delivery, redelivery.
Anyone else who sees the portfolio gets 403; whoever does not see it, 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core import access
from core.views import form_data, paginate, posted, run_service
from portfolio.shortcuts import visible_portfolio
from webhooks import selectors, services
from webhooks.forms import DeliveryFilterForm, SubscriptionEditForm, SubscriptionForm
from webhooks.models import WebhookDelivery, WebhookSubscription


def _managed_portfolio(request, code):
    portfolio = visible_portfolio(request, code)
    known = access.portfolio_access(request.user, portfolio)
    access.require(known.can_manage, services.REFUSED)
    return portfolio, known.as_context()


def _subscription(portfolio, pk) -> WebhookSubscription:
    return get_object_or_404(
        WebhookSubscription.objects.select_related("portfolio"), portfolio=portfolio, pk=pk
    )


def _secret_page(request, portfolio, context, subscription, *, created: bool):
    """The one page that shows a secret in full: right after it was made. Not cached."""
    response = render(
        request,
        "webhooks/subscription_secret.html",
        {"portfolio": portfolio, "subscription": subscription, "created": created, **context},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def subscriptions(request, code):
    portfolio, context = _managed_portfolio(request, code)
    return render(
        request,
        "webhooks/subscriptions.html",
        {
            "portfolio": portfolio,
            "page_obj": paginate(request, selectors.portfolio_subscriptions(portfolio=portfolio)),
            **context,
        },
    )


@login_required
def subscription_create(request, code):
    portfolio, context = _managed_portfolio(request, code)
    form = SubscriptionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        subscription = run_service(
            form,
            lambda: services.subscription_create(
                portfolio=portfolio, data=form_data(form), by=request.user
            ),
        )
        if subscription:
            return _secret_page(request, portfolio, context, subscription, created=True)
    return render(
        request,
        "webhooks/subscription_form.html",
        {"portfolio": portfolio, "form": form, "subscription": None, **context},
    )


@login_required
def subscription_edit(request, code, pk):
    portfolio, context = _managed_portfolio(request, code)
    subscription = _subscription(portfolio, pk)
    form = SubscriptionEditForm(
        posted(request),
        subscription=subscription,
        initial={
            "url": subscription.url,
            "description": subscription.description,
            "events": subscription.events,
            "is_active": subscription.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form_data(form)
        new_secret = data.pop("new_secret")
        saved = run_service(
            form,
            lambda: services.subscription_update(
                subscription=subscription, data=data, by=request.user, new_secret=new_secret
            ),
        )
        if saved:
            if new_secret or data.get("secret"):
                return _secret_page(request, portfolio, context, saved, created=False)
            messages.success(request, f"Webhook to {saved.url} saved.")
            return redirect("webhooks:subscriptions", code=portfolio.code)
    return render(
        request,
        "webhooks/subscription_form.html",
        {"portfolio": portfolio, "form": form, "subscription": subscription, **context},
    )


@login_required
def subscription_delete(request, code, pk):
    """GET asks for confirmation (works without JavaScript); POST deletes."""
    portfolio, context = _managed_portfolio(request, code)
    subscription = _subscription(portfolio, pk)
    if request.method == "POST":
        services.subscription_delete(subscription=subscription, by=request.user)
        messages.success(request, f"Webhook to {subscription.url} deleted.")
        return redirect("webhooks:subscriptions", code=portfolio.code)
    return render(
        request,
        "webhooks/subscription_confirm_delete.html",
        {
            "portfolio": portfolio,
            "subscription": subscription,
            "delivery_count": subscription.deliveries.count(),
            **context,
        },
    )


@login_required
def deliveries(request, code):
    """The delivery log: every delivery, newest first, filtered by status, event or
    subscription, with a redeliver button on finished ones."""
    portfolio, context = _managed_portfolio(request, code)
    form = DeliveryFilterForm(
        request.GET or None,
        subscriptions=WebhookSubscription.objects.filter(portfolio=portfolio).order_by("url"),
    )
    log = selectors.delivery_log(portfolio=portfolio, **form.filters())
    return render(
        request,
        "webhooks/deliveries.html",
        {
            "portfolio": portfolio,
            "form": form,
            "filtered": bool(form.filters()),
            "page_obj": paginate(request, log),
            **context,
        },
    )


@login_required
def delivery_detail(request, code, pk):
    """One delivery: what was sent (the body, the headers but the signature) and how its
    attempts went."""
    portfolio, context = _managed_portfolio(request, code)
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("subscription", "requested_by", "redelivery_of"),
        portfolio=portfolio,
        pk=pk,
    )
    return render(
        request,
        "webhooks/delivery_detail.html",
        {
            "portfolio": portfolio,
            "delivery": delivery,
            "body": selectors.delivery_body(delivery),
            "redeliveries": delivery.redeliveries.order_by("-created_at"),
            **context,
        },
    )


@require_POST
@login_required
def redeliver(request, code, pk):
    """Send a finished delivery again (a new row in the log); back to the log."""
    portfolio, _ = _managed_portfolio(request, code)
    original = get_object_or_404(
        WebhookDelivery.objects.select_related("subscription", "portfolio"),
        portfolio=portfolio,
        pk=pk,
    )
    try:
        again = services.delivery_redeliver(original=original, by=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    else:
        messages.success(request, f"Delivery #{original.pk} queued again as #{again.pk}.")
    return redirect("webhooks:deliveries", code=portfolio.code)
