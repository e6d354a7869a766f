"""The load scenario of `make loadtest` (run by bench/loadtest.py, which prepares the plan,
starts gunicorn and checks the writes afterwards): executives reading dashboards, project
managers saving costs and status-report drafts. Each simulated user logs in once, when it is
spawned (spawns are spread over the ramp), then works with 5–15 s of think time. locust's
statistics are reset when the ramp ends; the logins' times are kept in the ledger.

The plan (LOADTEST_PLAN, JSON written by bench/loadtest.py) names the users, password,
portfolios and projects. Every write's outcome goes to the ledger (LOADTEST_LEDGER, JSON
written when locust stops): cost entries the server said it saved, draft saves per report
(saved, or refused with 409), so bench/loadtest.py can count rows and versions in the
database and report lost writes."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
from collections import Counter
from datetime import date
from html.parser import HTMLParser

from locust import HttpUser, between, events, task

with open(os.environ["LOADTEST_PLAN"]) as plan_file:
    PLAN = json.load(plan_file)

LEDGER = {
    "costs_saved": 0,
    "cost_errors": 0,
    "drafts_saved": Counter(),  # report pk -> saves answered with a redirect
    "drafts_conflict": 0,  # answered 409: someone saved a newer version first
    "draft_errors": 0,
    "login_ms": [],  # each user's one login (form and POST): locust's own figures are reset
    "login_errors": 0,  # when the ramp ends, so the pages' percentiles are the steady state
}
_ledger_lock = threading.Lock()
_exec_numbers = itertools.count()
_pm_numbers = itertools.count()


def record(key: str, report: str | None = None, value: float | None = None) -> None:
    with _ledger_lock:
        if value is not None:
            LEDGER[key].append(value)
        elif report is None:
            LEDGER[key] += 1
        else:
            LEDGER[key][report] += 1


@events.quitting.add_listener
def write_ledger(environment, **kwargs):
    with open(os.environ["LOADTEST_LEDGER"], "w") as ledger:
        json.dump({**LEDGER, "drafts_saved": dict(LEDGER["drafts_saved"])}, ledger)


class Forms(HTMLParser):
    """The values a browser would post from each form of a page: inputs (checked boxes only),
    selects (their selected option, else the first) and textareas."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") not in ("submit", "button", "file"):
                self._form[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._form[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._form[name] = ""

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select and self._form is not None:
            self._form.setdefault(self._select, self._first_option or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def form_fields(html: str, having: str = "csrfmiddlewaretoken") -> dict[str, str]:
    """The first form of the page with a field named `having`."""
    parser = Forms()
    parser.feed(html)
    return next((form for form in parser.forms if having in form), {})


class SlateUser(HttpUser):
    abstract = True
    wait_time = between(5, 15)
    username = ""

    def on_start(self):
        started = time.perf_counter()
        page = self.client.get("/login/", name="login form")
        token = form_fields(page.text).get("csrfmiddlewaretoken", "")
        with self.client.post(
            "/login/",
            {
                "username": self.username,
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{self.host}/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                record("login_errors")
                response.failure(f"login of {self.username} answered {response.status_code}")
        record("login_ms", value=(time.perf_counter() - started) * 1000)


class Executive(SlateUser):
    """Reads the overview of every portfolio, a portfolio dashboard and a project page."""

    weight = 4

    def on_start(self):
        self.username = PLAN["executives"][next(_exec_numbers) % len(PLAN["executives"])]
        super().on_start()

    @task(2)
    def overview(self):
        self.client.get("/", name="overview")

    @task(3)
    def dashboard(self):
        self.client.get(f"/portfolios/{random.choice(PLAN['portfolios'])}/", name="dashboard")

    @task(2)
    def project(self):
        self.client.get(f"/projects/{random.choice(PLAN['projects'])}/", name="project")


class ProjectManager(SlateUser):
    """Adds actual costs and saves the current status report as a draft on their projects.
    Two simulated managers share each manager's login and projects, so some draft saves
    meet a newer version: those must be answered 409 and save nothing."""

    weight = 1

    def on_start(self):
        managers = PLAN["managers"]
        self.manager = managers[(next(_pm_numbers) // 2) % len(managers)]
        self.username = self.manager["username"]
        super().on_start()

    @task(2)
    def add_cost(self):
        project = random.choice(self.manager["projects"])
        url = f"/projects/{project['pk']}/costs/"
        page = self.client.get(url, name="costs")
        token = form_fields(page.text).get("csrfmiddlewaretoken", "")
        data = {
            "csrfmiddlewaretoken": token,
            "date": date.today().isoformat(),
            "amount": f"{random.randint(100, 5000)}.00",
            "category": random.choice(["labour", "contractor", "software", "travel"]),
            "description": f"{PLAN['marker']} {self.username}",
        }
        with self.client.post(
            url,
            data,
            headers={"Referer": f"{self.host}{url}"},
            name="costs: add",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                record("costs_saved")
            else:
                record("cost_errors")
                response.failure(f"cost not saved: {response.status_code}")

    @task(3)
    def save_draft(self):
        project = random.choice(self.manager["projects"])
        url = project["report_url"]
        page = self.client.get(url, name="report")
        fields = form_fields(page.text, having="version")
        fields["action"] = "save"
        fields["summary"] = f"{PLAN['marker']} draft by {self.username}"
        with self.client.post(
            url,
            fields,
            headers={"Referer": f"{self.host}{url}"},
            name="report: save draft",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                record("drafts_saved", str(project["report"]))
            elif response.status_code == 409:
                record("drafts_conflict")
                response.success()  # the answer the scenario expects to a stale version
            else:
                record("draft_errors")
                errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.{0,200})', response.text)
                response.failure(f"draft not saved: {response.status_code} {errors[:2]}")
