"""The landing page: "Slate" in the header opens `home`, which sends each user to their
role's page: "My work" for project managers, resource managers and the PMO (one page with a
section per role the user holds), the portfolio overview for everyone else (executives,
viewers). And the one-click unsubscribe of status-report reminders."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from reporting import my_work as work
from reporting import reminders


@login_required
def home(request):
    if work.has_work_page(request.user):
        return redirect("reporting:my-work")
    return redirect("portfolio:list")


@login_required
def my_work(request):
    today = timezone.localdate()
    return render(
        request,
        "reporting/my_work.html",
        {"work": work.my_work(user=request.user, today=today), "today": today},
    )


@csrf_exempt  # the signed token is the credential; mail clients POST one-click unsubscribes
def reminder_unsubscribe(request, token):
    unsubscribe = reminders.unsubscribe_from_token(token)
    if request.method == "POST":
        if unsubscribe is not None:
            reminders.opt_out(user=unsubscribe.user, topic=unsubscribe.topic)
        return render(request, "reporting/reminder_unsubscribed.html", {"unsubscribe": unsubscribe})
    return render(
        request,
        "reporting/reminder_unsubscribe.html",
        {"unsubscribe": unsubscribe, "token": token},
    )
