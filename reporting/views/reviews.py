"""Review pages: a review "in the browser", a portfolio's stored reviews, the PMO's review
runs, running a review now and following it, digest subscriptions, the digest preview and the
one-click unsubscribe."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from core import access, exports
from core.months import add_months
from core.views import paginate, run_service
from portfolio.shortcuts import visible_portfolio
from reporting import digests, review_display, selectors, services
from reporting import review_runs as on_demand
from reporting.exports import snapshot_table
from reporting.forms import DigestPreviewForm, RunReviewForm, SubscriberForm, SubscriptionForm
from reporting.models import PortfolioReview, ReviewKind, ReviewRun
from reporting.reviews import period_label


@login_required
def review_detail(request, pk):
    """A stored review as it was stored, showing only what the reader may see; the digest's
    "View in browser" link."""
    review = get_object_or_404(
        PortfolioReview.objects.visible_to(request.user).select_related("portfolio"), pk=pk
    )
    fmt = exports.requested_format(request)
    if fmt:
        table = snapshot_table(
            selectors.review_snapshots(review=review, user=request.user),
            filename=f"review-{review.portfolio.code}-{review.kind}-{review.period_start:%Y-%m}",
        )
        return exports.table_response(table, fmt)
    findings = selectors.visible_review_findings(review=review, user=request.user)
    currency = review.portfolio.currency
    figures = review_display.key_figures(review)
    return render(
        request,
        "reporting/review_detail.html",
        {
            "review": review,
            "portfolio": review.portfolio,
            "label": period_label(review.kind, review.period_start),
            "figures": figures,
            "has_changes": any(figure.change for figure in figures),
            "budget_figures": review_display.budget_figures(review),
            "sections": review_display.finding_sections(findings, currency=currency),
            "page_obj": paginate(
                request, selectors.review_snapshots(review=review, user=request.user)
            ),
            "other_reviews": selectors.other_reviews(review=review),
        },
    )


@login_required
def portfolio_reviews(request, code):
    """Every stored review of the portfolio, monthly, quarterly and annual."""
    portfolio = visible_portfolio(request, code)
    return render(
        request,
        "reporting/portfolio_reviews.html",
        {
            "portfolio": portfolio,
            "kinds": selectors.portfolio_reviews(portfolio=portfolio),
            **access.portfolio_access(request.user, portfolio).as_context(),
        },
    )


@login_required
def review_runs(request):
    """Recent review runs of the portfolios the user manages (PMO), with their deliveries."""
    portfolios = selectors.review_run_portfolios(user=request.user)
    access.require(portfolios.exists(), "Only the PMO sees review runs.")
    runs = selectors.review_runs(portfolios=portfolios)
    return render(request, "reporting/review_runs.html", {"page_obj": paginate(request, runs)})


RUN_REVIEW_REFUSED = "Only the portfolio's PMO may run its reviews and preview its digests."
# How often the status page of a pending or running review reloads itself, in seconds.
RUN_STATUS_REFRESH_SECONDS = 2


@login_required
def run_review(request, code):
    """The PMO runs a review of the portfolio now: queued to Celery, then followed on its
    status page."""
    portfolio = visible_portfolio(request, code)
    access.require(access.can_run_reviews(request.user, portfolio), RUN_REVIEW_REFUSED)
    last_month = add_months(timezone.localdate(), -1)
    form = RunReviewForm(
        request.POST or None, initial={"kind": ReviewKind.MONTHLY, "period": f"{last_month:%Y-%m}"}
    )
    if request.method == "POST" and form.is_valid():
        run = run_service(
            form,
            lambda: on_demand.review_run_request(
                portfolio=portfolio, kind=form.cleaned_data["kind"],
                period=form.cleaned_data["period"], by=request.user,
            ),
        )  # fmt: skip
        if run is not None:
            return redirect("reporting:review-run", pk=run.pk)
    return render(
        request,
        "reporting/run_review.html",
        {
            "portfolio": portfolio,
            "form": form,
            "runs": selectors.recent_review_runs(portfolio=portfolio),
            **access.portfolio_access(request.user, portfolio).as_context(),
        },
    )


@login_required
def review_run(request, pk):
    """A review run's status: pending, running, done (with its review) or failed (with the
    error); the page reloads itself while the run is pending or running."""
    run = get_object_or_404(
        ReviewRun.objects.visible_to(request.user).select_related(
            "portfolio", "review", "requested_by"
        ),
        pk=pk,
    )
    access.require(access.can_run_reviews(request.user, run.portfolio), RUN_REVIEW_REFUSED)
    return render(
        request,
        "reporting/review_run.html",
        {
            "run": run,
            "portfolio": run.portfolio,
            "label": period_label(run.kind, run.period_start),
            "refresh_seconds": RUN_STATUS_REFRESH_SECONDS if run.is_active else None,
        },
    )


@login_required
def digest_preview(request, code):
    """Exactly the e-mail a chosen subscriber would receive for a stored review."""
    portfolio = visible_portfolio(request, code)
    access.require(access.can_run_reviews(request.user, portfolio), RUN_REVIEW_REFUSED)
    form = DigestPreviewForm(
        request.GET or None,
        subscribers=selectors.portfolio_subscribers(portfolio=portfolio),
        reviews=selectors.stored_reviews(portfolio=portfolio).select_related("portfolio"),
    )
    email = None
    if form.is_bound and form.is_valid():
        email = run_service(
            form,
            lambda: digests.digest_preview(
                review=form.cleaned_data["review"], subscriber=form.cleaned_data["subscriber"]
            ),
        )
    return render(
        request,
        "reporting/digest_preview.html",
        {
            "portfolio": portfolio,
            "form": form,
            "email": email,
            **access.portfolio_access(request.user, portfolio).as_context(),
        },
    )


@login_required
def subscriptions(request):
    """The user's own digest subscriptions, per visible portfolio and kind of review."""
    form = SubscriptionForm(
        request.POST or None,
        portfolios=selectors.subscription_portfolios(user=request.user),
        current=selectors.subscribed_kinds(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        for portfolio in form.portfolios:
            run_service(
                form,
                lambda p=portfolio: services.subscriptions_set(
                    user=request.user, portfolio=p, kinds=form.cleaned_data[f"p{p.pk}"],
                    by=request.user,
                ),
            )  # fmt: skip
        if not form.errors:
            messages.success(request, "Your digest subscriptions are saved.")
            return redirect("reporting:subscriptions")
    return render(request, "reporting/subscriptions.html", {"form": form})


@login_required
def portfolio_subscribers(request, code):
    """The PMO subscribes other people of the portfolio to its digests."""
    portfolio = visible_portfolio(request, code)
    access.require(access.can_manage_portfolio(request.user, portfolio))
    form = SubscriberForm(
        request.POST or None, people=selectors.portfolio_people(portfolio=portfolio)
    )
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.subscriptions_set(
                user=form.cleaned_data["user"], portfolio=portfolio,
                kinds=form.cleaned_data["kinds"], by=request.user,
            ) or True,
        )  # fmt: skip
        if done:
            messages.success(request, f"Subscriptions of {form.cleaned_data['user']} saved.")
            return redirect("reporting:subscribers", code=portfolio.code)
    return render(
        request,
        "reporting/subscribers.html",
        {
            "portfolio": portfolio,
            "form": form,
            "subscribers": selectors.portfolio_subscriptions(portfolio=portfolio),
        },
    )


@csrf_exempt  # the signed token is the credential; mail clients POST one-click unsubscribes
def unsubscribe(request, token):
    subscription = digests.subscription_from_token(token)
    if request.method == "POST":
        if subscription is not None:
            subscription.delete()
        return render(request, "reporting/unsubscribed.html", {"subscription": subscription})
    return render(
        request,
        "reporting/unsubscribe.html",
        {"subscription": subscription, "token": token},
    )
