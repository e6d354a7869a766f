"""Review pages: a review "in the browser", the PMO's review runs, digest subscriptions and
the one-click unsubscribe."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt

from core import access
from core.views import paginate, run_service
from portfolio.models import Portfolio
from projects.models import Project
from reporting import digests, services
from reporting.models import DigestSubscription, PortfolioReview, ReviewKind
from reporting.reviews import period_label

FINDING_TITLES = {
    "red_projects": "Red projects (computed)",
    "watermelons": "Watermelons: reported better than computed",
    "slipping_milestones": "Milestones slipping more than 30 days",
    "overspend_forecasts": "Forecast over budget",
    "new_or_escalated_risks": "New or escalated risks",
    "over_allocated_roles": "Over-allocated roles",
    "late_dependencies": "Late cross-project dependencies",
    "missing_reports": "Status reports missing",
    "objectives": "Spend and value per objective (strategic drift)",
    "unaligned_projects": "Projects contributing to no active objective",
    "unserved_objectives": "Objectives no project serves",
    "ranked": "Candidate and active projects, ranked",
}


@login_required
def review_detail(request, pk):
    review = get_object_or_404(
        PortfolioReview.objects.visible_to(request.user).select_related("portfolio"), pk=pk
    )
    findings = digests.visible_findings(review, request.user)
    sections = [
        (FINDING_TITLES.get(name, name.replace("_", " ").capitalize()), name, items)
        for name, items in findings.items()
        if isinstance(items, list)
    ]
    snapshots = (
        review.snapshots.filter(project__in=Project.objects.visible_to(request.user))
        .select_related("project", "program")
        .order_by("project__code")
    )
    others = PortfolioReview.objects.filter(portfolio=review.portfolio, kind=review.kind).order_by(
        "-period_start"
    )[:24]
    return render(
        request,
        "reporting/review_detail.html",
        {
            "review": review,
            "portfolio": review.portfolio,
            "label": period_label(review.kind, review.period_start),
            "sections": sections,
            "changes": findings.get("changes", {}),
            "page_obj": paginate(request, snapshots),
            "other_reviews": others,
        },
    )


@login_required
def review_runs(request):
    """Recent review runs of the portfolios the user manages (PMO), with their deliveries."""
    portfolios = Portfolio.objects.visible_to(request.user)
    if not access.is_pmo_admin(request.user):
        portfolios = portfolios.filter(
            memberships__user=request.user, memberships__role__in=access.EDITOR_ROLES
        )
    access.require(portfolios.exists(), "Only the PMO sees review runs.")
    runs = (
        PortfolioReview.objects.filter(portfolio__in=portfolios)
        .select_related("portfolio")
        .annotate(
            delivery_count=Count("deliveries"),
            sent_count=Count("deliveries", filter=Q(deliveries__sent_at__isnull=False)),
        )
        .order_by("-started_at", "-pk")
    )
    return render(request, "reporting/review_runs.html", {"page_obj": paginate(request, runs)})


class SubscriptionForm(forms.Form):
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


@login_required
def subscriptions(request):
    """The user's own digest subscriptions, per visible portfolio and kind of review."""
    portfolios = Portfolio.objects.visible_to(request.user).order_by("name")
    current = DigestSubscription.objects.filter(user=request.user).values_list(
        "portfolio_id", "kind"
    )
    form = SubscriptionForm(request.POST or None, portfolios=portfolios, current=list(current))
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


class SubscriberForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none())
    kinds = forms.MultipleChoiceField(
        choices=ReviewKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


@login_required
def portfolio_subscribers(request, code):
    """The PMO subscribes other people of the portfolio to its digests."""
    portfolio = get_object_or_404(Portfolio.objects.visible_to(request.user), code=code)
    access.require(access.can_manage_portfolio(request.user, portfolio))
    form = SubscriberForm(request.POST or None)
    form.fields["user"].queryset = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(memberships__portfolio=portfolio) | Q(managed_projects__portfolio=portfolio))
        .distinct()
        .order_by("username")
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
    subscribers = (
        DigestSubscription.objects.filter(portfolio=portfolio)
        .select_related("user")
        .order_by("user__username", "kind")
    )
    return render(
        request,
        "reporting/subscribers.html",
        {"portfolio": portfolio, "form": form, "subscribers": subscribers},
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
