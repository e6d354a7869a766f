"""`manage.py seed_demo`: realistic, idempotent demo data (see demo/seed.py)."""

import time

from django.core.management.base import BaseCommand

from demo import seed as demo_data


class Command(BaseCommand):
    help = (
        "Create or refresh the demo portfolios, projects, people, risks and one login per "
        "role. Idempotent: running it again changes nothing on the same day."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        before = demo_data.row_counts()
        demo_data.build_demo()
        after = demo_data.row_counts()
        elapsed = time.monotonic() - started

        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f}s."))
        self.stdout.write("")
        self.stdout.write(f"{'model':<45} {'rows':>7} {'change':>7}")
        for label, count in after.items():
            if count or before.get(label):
                change = count - before.get(label, 0)
                self.stdout.write(f"{label:<45} {count:>7} {change:>+7}")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {demo_data.DEMO_PASSWORD})")
        rows = demo_data.login_table()
        width_user = max(len(r[0]) for r in rows)
        width_role = max(len(r[1]) for r in rows)
        self.stdout.write(f"{'username':<{width_user}}  {'role':<{width_role}}  sees")
        self.stdout.write(f"{'-' * width_user}  {'-' * width_role}  {'-' * 4}")
        for username, role, sees in rows:
            self.stdout.write(f"{username:<{width_user}}  {role:<{width_role}}  {sees}")
        self.stdout.write("")
        self.stdout.write("Things to look at:")
        for line in demo_data.HIGHLIGHTS:
            self.stdout.write(f"  - {line}")
