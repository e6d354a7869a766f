"""`manage.py seed_scale`: synthetic data at PMO scale (see demo/scale.py)."""

from django.core.management.base import BaseCommand, CommandError

from demo import scale as scale_data


class Command(BaseCommand):
    help = (
        "Generate synthetic portfolios, projects, reports, costs, risks, people and "
        "allocations at scale (default: a 10,000-project PMO). Scale data "
        f"uses portfolio codes starting with '{scale_data.PREFIX}'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=10_000, help="Number of projects.")
        parser.add_argument("--portfolios", type=int, default=10, help="Number of portfolios.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete previous scale data first."
        )

    def handle(self, *args, projects, portfolios, seed, reset, **options):
        if projects < 1 or portfolios < 1:
            raise CommandError("--projects and --portfolios must be at least 1.")
        if portfolios > 99:
            raise CommandError("--portfolios must be at most 99.")
        result = scale_data.generate(
            projects=projects,
            portfolios=portfolios,
            seed=seed,
            reset=reset,
            log=self.stdout.write,
        )
        if result is None:
            self.stdout.write(
                "Scale data already exists; nothing to do (use --reset to recreate it)."
            )
            return
        counts, seconds = result
        self.stdout.write(f"{'model':<45} {'rows':>9}")
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{label:<45} {count:>9,}")
        self.stdout.write(f"{'total':<45} {sum(counts.values()):>9,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale data: {projects:,} projects in {portfolios} portfolios, "
                f"created in {seconds:.1f}s."
            )
        )
