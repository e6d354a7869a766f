from django.core.management.base import BaseCommand, CommandError

from portfolio.models import Portfolio
from reporting import services
from reporting.models import ReviewKind


class Command(BaseCommand):
    help = "Run (or show) a review: --portfolio CODE --kind monthly --period 2026-10"

    def add_arguments(self, parser):
        parser.add_argument("--portfolio", required=True, help="Portfolio code, or 'all'.")
        parser.add_argument("--kind", required=True, choices=ReviewKind.values)
        parser.add_argument(
            "--period", required=True, help="2026-10 (monthly), 2026-Q3 (quarterly), 2027 (annual)"
        )

    def handle(self, *args, portfolio, kind, period, **options):
        portfolios = Portfolio.objects.order_by("code")
        if portfolio != "all":
            portfolios = portfolios.filter(code=portfolio)
            if not portfolios:
                raise CommandError(f"No portfolio with code {portfolio!r}.")
        for each in portfolios:
            try:
                review = services.run_review(portfolio=each, kind=kind, period=period)
            except ValueError as error:
                raise CommandError(f"Bad period {period!r}: {error}") from error
            self.stdout.write(
                f"{each.code}: {review.get_kind_display()} {review.period_start:%Y-%m-%d}–"
                f"{review.period_end:%Y-%m-%d} {review.status}, "
                f"{review.snapshots.count()} project snapshots"
            )
