"""`manage.py seed_scale`: synthetic data at PMO scale (see demo/scale.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo import scale as scale_data
from demo import scale_timing


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
        parser.add_argument(
            "--timing",
            type=int,
            metavar="N",
            help="Instead: one portfolio of N timed projects with start windows, N/10 synergies "
            "and N/10 sequences (issue 17's bench), in a database without other scale data.",
        )

    def handle(self, *args, projects, portfolios, seed, reset, timing, **options):
        if timing is not None:
            return self.seed_timing(timing, seed=seed, reset=reset)
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

    def seed_timing(self, candidates, *, seed, reset):
        if candidates < 10:
            raise CommandError("--timing must be at least 10.")
        if reset:
            with transaction.atomic():
                removed = scale_data.delete_scale_data()
            self.stdout.write(f"Removed {removed} rows of previous scale data.")
        try:
            result = scale_timing.generate_timing(
                candidates=candidates,
                synergies=candidates // 10,
                sequences=candidates // 10,
                seed=seed,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if result is None:
            self.stdout.write("The timing portfolio already exists; nothing to do.")
            return
        counts, seconds = result
        rows = ", ".join(f"{count:,} {label}" for label, count in sorted(counts.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Timing portfolio {scale_timing.TIMING_CODE}: {candidates:,} projects "
                f"({rows}), created in {seconds:.1f}s."
            )
        )
