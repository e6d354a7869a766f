"""Onboarding from a spreadsheet: upload, column mapping, preview, import, result. Thin: the
reading, mapping, preview and import are portfolio/onboarding.py. A kept upload is shown only
to the person who uploaded it (a 403 to everyone else); the PMO and portfolio managers may
import projects, PMO admins portfolios too."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from core import access
from core.views import posted, run_service
from portfolio import onboarding
from portfolio.forms import OnboardingMappingForm, OnboardingUploadForm
from portfolio.models import ImportTemplate, OnboardingImport, OnboardingKind
from portfolio.onboarding import OnboardingError, SpreadsheetError

SAMPLE_ROWS = 3


@login_required
def onboarding_upload(request):
    access.require(
        onboarding.can_onboard(request.user),
        "Only the PMO and portfolio managers may import projects from a spreadsheet.",
    )
    portfolios = onboarding.managed_portfolios(request.user).order_by("name")
    chosen = portfolios.filter(code=request.GET.get("portfolio", "")).first()
    form = OnboardingUploadForm(
        request.POST or None,
        request.FILES or None,
        portfolios=portfolios,
        can_import_portfolios=access.is_pmo_admin(request.user),
        initial={"portfolio": chosen},
    )
    file_problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            staged = onboarding.onboarding_stage(
                kind=form.cleaned_data["kind"],
                portfolio=form.cleaned_data["portfolio"],
                file_name=upload.name,
                content=upload.read(),
                by=request.user,
            )
        except SpreadsheetError as error:
            file_problems = error.problems
        else:
            return redirect("portfolio:onboarding-mapping", pk=staged.pk)
    return render(
        request,
        "portfolio/onboarding_upload.html",
        {
            "form": form,
            "file_problems": file_problems,
            "file_name": form.cleaned_data["file"].name if file_problems else "",
        },
    )


def _staged(request, pk) -> OnboardingImport:
    """A kept upload: its uploader's alone (403 for everyone else, as a kept plan)."""
    staged = get_object_or_404(
        OnboardingImport.objects.select_related("portfolio", "template"), pk=pk
    )
    access.require(
        staged.uploaded_by_id == request.user.pk,
        "Only the person who uploaded this file may map, preview and import it.",
    )
    return staged


def _samples(sheet) -> list[list[str]]:
    """The first rows' values of each column, for the mapping table."""
    rows = sheet.rows[:SAMPLE_ROWS]
    return [
        [onboarding.cell_text(row.cells[index]) for row in rows if row.cells[index] is not None]
        for index in range(len(sheet.headers))
    ]


@login_required
def onboarding_mapping(request, pk):
    """GET: the columns with the mapping of the pre-selected template (or `?template=`);
    POST: save the mapping (and the template), then the preview."""
    staged = _staged(request, pk)
    if staged.is_applied:
        return redirect("portfolio:onboarding-result", pk=staged.pk)
    sheet = onboarding.read_staged(staged)
    templates = list(
        onboarding.available_templates(
            kind=staged.kind, portfolio=staged.portfolio, user=request.user
        )
    )
    template, mapping = staged.template, staged.mapping
    asked = request.GET.get("template")
    if asked:
        template = next((t for t in templates if str(t.pk) == asked), None)
        mapping = onboarding.suggested_mapping(staged.kind, sheet.headers, template)
    can_share = staged.portfolio is not None and access.can_manage_portfolio(
        request.user, staged.portfolio
    )
    form = OnboardingMappingForm(
        posted(request),
        headers=sheet.headers,
        kind=staged.kind,
        mapping=mapping,
        can_share=can_share,
        samples=_samples(sheet),
        initial={
            "template_name": template.name if template else f"My {staged.kind} sheet",
            "share": bool(template and template.portfolio_id),
        },
    )
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: onboarding.onboarding_map(
                staged=staged,
                mapping=form.mapping(),
                template_name=form.cleaned_data["template_name"],
                share_with_portfolio=form.cleaned_data.get("share", False),
                by=request.user,
            ),
        )
        if saved:
            return redirect("portfolio:onboarding-preview", pk=staged.pk)
    return render(
        request,
        "portfolio/onboarding_mapping.html",
        {
            "staged": staged,
            "sheet": sheet,
            "form": form,
            "templates": templates,
            "template": template,
            "fields": onboarding.FIELDS[staged.kind],
        },
    )


@login_required
def onboarding_preview(request, pk):
    """GET: what importing the file would do now; POST: import it, as previewed."""
    staged = _staged(request, pk)
    if staged.is_applied:
        return redirect("portfolio:onboarding-result", pk=staged.pk)
    problems = onboarding.mapping_problems(
        staged.kind, staged.mapping, has_portfolio=bool(staged.portfolio_id)
    )
    if problems:
        for problem in problems:
            messages.warning(request, problem)
        return redirect("portfolio:onboarding-mapping", pk=staged.pk)
    refused, status = [], 200
    if request.method == "POST":
        try:
            onboarding.onboarding_apply(
                staged=staged, fingerprint=request.POST.get("fingerprint", ""), by=request.user
            )
        except OnboardingError as error:
            refused, status = error.errors, 400
        else:
            return redirect("portfolio:onboarding-result", pk=staged.pk)
    preview = onboarding.onboarding_preview(staged=staged, by=request.user)
    return render(
        request,
        "portfolio/onboarding_preview.html",
        {
            "staged": staged,
            "preview": preview,
            "refused": refused,
            "noun": onboarding.KIND_NOUN[staged.kind],
            "is_projects": staged.kind == OnboardingKind.PROJECTS,
        },
        status=status,
    )


@login_required
def onboarding_result(request, pk):
    staged = _staged(request, pk)
    if not staged.is_applied:
        return redirect("portfolio:onboarding-preview", pk=staged.pk)
    counts = dict.fromkeys((onboarding.CREATE, onboarding.UPDATE, onboarding.UNCHANGED), 0)
    for row in staged.result:
        counts[row["action"]] = counts.get(row["action"], 0) + 1
    return render(
        request,
        "portfolio/onboarding_result.html",
        {
            "staged": staged,
            "counts": counts,
            "is_projects": staged.kind == OnboardingKind.PROJECTS,
            "template": ImportTemplate.objects.filter(pk=staged.template_id).first(),
        },
    )
