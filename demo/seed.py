"""Demo data for `manage.py seed_demo`: four portfolios built from the examples in
docs (retail e-commerce launch, healthcare and financial-services digital transformation,
a software product portfolio), plus one demo login per role.

The data is declarative (the lists and dicts below); `build_demo()` turns it into rows.
Every date is relative to today, so the demo always looks current. The build is idempotent:
rows are keyed on natural keys and only saved when a value changed, so a second run on the
same day creates, updates and deletes nothing (not even history rows).

Project health is designed, not random: for each started project the data gives the schedule
and cost performance wanted at its status date (SPI, CPI; the status date is the end of the
latest submitted report's month); the builder derives that report's % complete (EV = BAC x %
complete) and the actual costs up to it (AC = EV / CPI) from the project's planned curve (PV,
from baseline dates and milestone weights, projects/evm.py), so the computed health comes out
as designed whatever the date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core import events
from core.months import add_months, month_end, month_start
from portfolio.models import (
    GateCriterion,
    GateCriterionAssessment,
    GateDecision,
    ObjectiveContribution,
    Portfolio,
    PortfolioMembership,
    Program,
    ProjectScore,
    Scenario,
    ScoringCriterion,
    StrategicObjective,
    Synergy,
)
from projects import evm, selectors
from projects.events import status_report_data
from projects.models import (
    RAG_FIELDS,
    CostEntry,
    Milestone,
    Project,
    ProjectDependency,
    StatusReport,
)
from reporting import services as review_services
from reporting.models import DigestSubscription
from resources.models import (
    Allocation,
    Calendar,
    CapacityAdjustment,
    PublicHoliday,
    Resource,
    Role,
    Skill,
)
from risks import selectors as risk_selectors
from risks.models import Risk
from webhooks import payloads, signing
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

DEMO_PASSWORD = "demo-pass-2026"
ALL = "*"  # membership in every demo portfolio

# The tables below are laid out by hand for reading; the formatter leaves them alone.
# fmt: off

# ---------------------------------------------------------------------------------------------
# People who log in
# ---------------------------------------------------------------------------------------------

# username, first name, last name, is_staff, {portfolio code or ALL: role}, what they see
DEMO_LOGINS = [
    ("pmo", "Pat", "Morgan", True, {ALL: "pmo"},
     "PMO admin (pmo_admin permission): every portfolio, edits all, Django admin"),
    ("portfolio_manager", "Paula", "Mendes", False,
     {"retail": "portfolio_manager", "health": "portfolio_manager",
      "product": "portfolio_manager"},
     "Portfolio manager of Retail, Healthcare and Product: strategy, scoring, gates, "
     "scenarios"),
    ("executive", "Evelyn", "Clarke", False, {ALL: "executive"},
     "Executive sponsor: all four portfolios read-only, takes go/no-go decisions"),
    ("resource_manager", "Ravi", "Menon", False,
     {"health": "resource_manager", "finance": "resource_manager"},
     "Resource manager of Healthcare and Finance: people, capacity, allocations"),
    ("viewer", "Victor", "Hale", False, {"retail": "viewer"},
     "Viewer of Retail only: dashboards read-only"),
    ("project_manager", "Jordan", "Lee", False, {},
     "No membership: manages RET-PAY, FIN-CORE (the watermelon) and PRD-AI"),
]

# Further project managers (same password, no membership: they see the projects they lead).
PROJECT_MANAGERS = [
    ("amy.chen", "Amy", "Chen"), ("raj.patel", "Raj", "Patel"), ("grace.kim", "Grace", "Kim"),
    ("daniel.osei", "Daniel", "Osei"), ("sofia.rossi", "Sofia", "Rossi"),
    ("liam.murphy", "Liam", "Murphy"),
]

# ---------------------------------------------------------------------------------------------
# Shared resources: roles, skills, calendar, people
# ---------------------------------------------------------------------------------------------

ROLES = [  # name, default cost rate per hour
    ("Integration engineer (HL7/FHIR)", 115), ("Full-stack developer", 95),
    ("Mobile developer", 95), ("Business analyst", 80), ("QA / test analyst", 70),
    ("Data engineer", 105), ("Solution architect", 135), ("Security engineer", 125),
    ("UX designer", 85), ("DevOps engineer", 105), ("ML engineer", 130),
    ("Project manager", 90),
]

SKILLS = [
    "HL7 v2", "FHIR R4", "React", "Django", "Kotlin", "Swift", "PostgreSQL", "Kafka",
    "Payments (PCI DSS)", "Threat modelling", "Accessibility (WCAG)", "Kubernetes", "PyTorch",
    "Power BI", "SAP integration",
]

CALENDAR = ("Standard", 8)  # name, hours per day
HOLIDAYS = [  # (month, day, name): fixed-date holidays, stored for last, this and next year
    (1, 1, "New Year's Day"), (7, 4, "Independence Day"), (11, 11, "Veterans Day"),
    (12, 25, "Christmas Day"),
]

PEOPLE = [  # name, role, FTE, cost rate per hour, skills
    # healthcare
    ("Priya Nair",      "Integration engineer (HL7/FHIR)", 1, 120, ["HL7 v2", "FHIR R4", "Kafka"]),
    ("Tomás Silva",     "Integration engineer (HL7/FHIR)", 1, 110, ["HL7 v2", "FHIR R4"]),
    ("Hannah Brooks",   "Business analyst",     1,     80,  []),
    ("Kwame Mensah",    "Full-stack developer", 1,     95,  ["Django", "React", "PostgreSQL"]),
    ("Yuki Tanaka",     "Mobile developer",     1,     95,  ["Kotlin", "Swift"]),
    ("Olivia Grant",    "QA / test analyst",    "0.8", 70,  ["Accessibility (WCAG)"]),
    # retail
    ("Marcus Reid",     "Full-stack developer", 1,     95,  ["React", "Django"]),
    ("Chloe Dubois",    "Full-stack developer", 1,     90,  ["React", "Payments (PCI DSS)"]),
    ("Leo Martins",     "Full-stack developer", 1,     90,  ["Django", "PostgreSQL"]),
    ("Arjun Mehta",     "Solution architect",   1,     135, ["SAP integration", "Kafka"]),
    ("Nina Petrova",    "QA / test analyst",    1,     70,  ["Accessibility (WCAG)"]),
    ("Ben Carter",      "UX designer",          1,     85,  ["Accessibility (WCAG)"]),
    ("Zara Ahmed",      "Business analyst",     1,     80,  []),
    # financial services
    ("Elena Kowalski",  "Data engineer",        1,     110, ["Kafka", "PostgreSQL", "Power BI"]),
    ("David Nguyen",    "Data engineer",        1,     100, ["PostgreSQL", "Power BI"]),
    ("Fatima Al-Sayed", "Security engineer",    1,     125, ["Threat modelling", "Kubernetes"]),
    ("George Adeyemi",  "Solution architect",   1,     140, ["Kafka", "SAP integration"]),
    ("Isabel Ortiz",    "Mobile developer",     1,     95,  ["Kotlin", "Swift"]),
    ("Jack Thompson",   "DevOps engineer",      1,     105, ["Kubernetes"]),
    # software product
    ("Mei Lin",         "ML engineer",          1,     130, ["PyTorch"]),
    ("Noah Fischer",    "ML engineer",          "0.8", 125, ["PyTorch", "Kafka"]),
    ("Sara Johansson",  "UX designer",          1,     85,  ["Accessibility (WCAG)", "React"]),
    ("Omar Haddad",     "Full-stack developer", 1,     95,  ["Django", "React"]),
    ("Lucas Moreau",    "DevOps engineer",      1,     105, ["Kubernetes", "PostgreSQL"]),
    ("Ana Souza",       "QA / test analyst",    1,     70,  []),
]

CAPACITY_ADJUSTMENTS = [
    # person, kind, starts in N days, lasts N days, hours per day (None = whole days), note
    ("Priya Nair",     "leave",    24, 10, None, "Annual leave"),
    ("Elena Kowalski", "training", 10, 3,  None, "Kafka Summit"),
    ("Marcus Reid",    "leave",   -20, 5,  None, "Annual leave"),
    ("Olivia Grant",   "other",     0, 60, 2,    "Union representative duties"),
    ("Mei Lin",        "leave",    40, 15, None, "Parental leave (phased)"),
]

# ---------------------------------------------------------------------------------------------
# Portfolios
# ---------------------------------------------------------------------------------------------
# Project keys:
#   stage: defaults to in_progress
#   start / months: baseline start as a month offset from this month; baseline length in months
#   slip: days the forecast end (and, pro rata, the milestones) lie past the baseline
#   perf: (SPI, CPI) wanted today; rag: reported RAG of the latest report, six letters in the
#     order overall, schedule, budget, scope, quality, risk (G, A, R)
#   forecast_cost: the PM's forecast as a multiple of the budget; note: latest summary
#   scores: one 1-5 score per scoring criterion; aligns: one 0-3 contribution per objective
#   team: (person or "role:<name>", amount[, status[, unit]]) over the project's months;
#     status defaults to confirmed, unit to fte
#   milestones: (name, weight %, position in the baseline); default MILESTONE_TEMPLATE
#   annual: (annual benefit, annual cost) for pipeline projects

MILESTONE_TEMPLATE = [
    ("Requirements signed off", 10, 0.12),
    ("Solution design approved", 15, 0.30),
    ("Build complete", 35, 0.70),
    ("User acceptance testing passed", 20, 0.88),
    ("Go-live", 15, 0.98),
]

RAG_NARRATIVE = {
    "green": "On track: milestones and spend in line with plan.",
    "amber": "Some slippage against the baseline; a recovery plan is in place.",
    "red": "Off track: schedule and cost recovery needed; decisions requested from the board.",
}

RETAIL = {
    "code": "retail",
    "name": "Retail e-commerce",
    "description": "The retail company's move online: a new e-commerce platform launched in "
    "six months for $2M (web development, payment integration, inventory systems, user "
    "testing) and the digital-growth initiatives that follow it.",
    "budget_envelope": 4_500_000, "fiscal_year_start_month": 2,
    "programs": [  # name, manager, description
        ("E-commerce platform launch", "portfolio_manager", "Six-month, $2M launch of the store."),
        ("Digital growth", "amy.chen", "Omnichannel and personalisation after launch."),
    ],
    "objectives": [  # name, weight, description
        ("Grow online revenue", 40, "Online sales to 25% of revenue within two years."),
        ("Omnichannel customer experience", 35, "One basket, one stock picture, any channel."),
        ("Operational efficiency", 25, "Fewer manual stock and order touches."),
    ],
    "criteria": [  # name, weight, direction, anchors
        ("Strategic fit", 35, "higher", {"1": "Unrelated to the strategy",
                                         "3": "Supports one objective",
                                         "5": "Essential to the online strategy"}),
        ("Revenue impact", 30, "higher", {"1": "Under $100k a year", "3": "About $1M a year",
                                          "5": "Over $3M a year"}),
        ("Delivery risk", 20, "lower", {"1": "Proven technology, known team",
                                        "5": "New vendor, new technology, tight date"}),
        ("Time to market", 15, "higher", {"1": "Benefits after 18 months",
                                          "5": "Benefits within a quarter"}),
    ],
    "projects": [
        {"code": "RET-WEB", "name": "Storefront web development", "manager": "amy.chen",
         "program": "E-commerce platform launch",
         "description": "Responsive storefront, catalogue, search and checkout pages.",
         "start": -5, "months": 6, "slip": 40, "budget": 800_000, "benefit": 3_000_000,
         "market": (1, 20, 2),
         "perf": (0.90, 0.92), "rag": "AAAGGA", "scores": (5, 4, 3, 4), "aligns": (3, 3, 1),
         "team": [("Marcus Reid", 0.8), ("Ben Carter", 0.5), ("Zara Ahmed", 0.5)]},
        {"code": "RET-PAY", "name": "Payment gateway integration", "manager": "project_manager",
         "program": "E-commerce platform launch",
         "description": "Card, wallet and buy-now-pay-later payments; PCI DSS compliance.",
         "start": -5, "months": 6, "budget": 450_000, "benefit": 1_200_000,
         "market": (1, 20, 2),
         "perf": (1.0, 1.03), "rag": "GGGGGG", "scores": (5, 4, 2, 4), "aligns": (3, 2, 1),
         "team": [("Chloe Dubois", 1.0)]},
        {"code": "RET-INV", "name": "Inventory system integration", "manager": "raj.patel",
         "program": "E-commerce platform launch",
         "description": "Real-time stock from the warehouse ERP to the online store.",
         "start": -5, "months": 6, "slip": 60, "budget": 500_000, "benefit": 900_000,
         "perf": (0.78, 0.80), "rag": "RRRAGA", "forecast_cost": "1.25",
         "escalations": "ERP vendor patch needed for the real-time stock feed; decision on an "
         "interim batch feed requested.",
         "scores": (4, 3, 4, 3), "aligns": (2, 3, 3),
         "team": [("Arjun Mehta", 0.5), ("Marcus Reid", 0.2),
                  ("role:Data engineer", 0.5, "requested")]},
        {"code": "RET-UAT", "name": "User acceptance and usability testing",
         "manager": "raj.patel", "program": "E-commerce platform launch",
         "description": "Usability studies, end-to-end UAT and accessibility audit.",
         "start": -3, "months": 4, "budget": 250_000, "benefit": 0,
         "perf": (0.98, 1.0), "rag": "GGGGGG", "scores": (4, 2, 2, 4), "aligns": (2, 2, 1),
         "team": [("Nina Petrova", 1.0), ("Ben Carter", 0.3), ("Zara Ahmed", 0.4)]},
        {"code": "RET-CNC", "name": "Click and collect", "manager": "amy.chen",
         "program": "Digital growth",
         "description": "Order online, collect in store within two hours.",
         "start": -8, "months": 12, "slip": 5, "budget": 600_000, "benefit": 1_500_000,
         "perf": (0.97, 0.99), "rag": "GGGGGG", "scores": (4, 4, 2, 3), "aligns": (2, 3, 2),
         "team": [("Arjun Mehta", 0.3), ("Leo Martins", 0.8)]},
        {"code": "RET-REC", "name": "Personalised recommendations", "stage": "approved",
         "manager": "amy.chen", "program": "Digital growth",
         "description": "Recommendations on product pages and in e-mails.",
         "start": 1, "months": 6, "budget": 350_000, "benefit": 1_100_000,
         "annual": (700_000, 60_000), "scores": (4, 4, 3, 3), "aligns": (3, 2, 0),
         "team": [("role:ML engineer", 1.0, "requested"), ("Nina Petrova", 0.3)]},
        {"code": "RET-MOB", "name": "Mobile shopping app", "stage": "candidate",
         "program": "Digital growth",
         "description": "Native iOS and Android shopping app with wish lists and offers.",
         "start": 3, "months": 9, "budget": 900_000, "benefit": 2_400_000,
         # Its mobile developers are busy until the patient and banking apps ship: it fits
         # only if it starts later, and should launch by next year's holiday season.
         "window": (1, 8), "market": (12, 10, 16),
         "annual": (1_200_000, 150_000), "scores": (4, 4, 4, 2), "aligns": (3, 3, 0),
         "team": [("role:Mobile developer", 1.0, "requested")]},
        {"code": "RET-LOY", "name": "Loyalty programme relaunch", "stage": "idea",
         "description": "Points across store and online, with partner offers.",
         "start": 4, "months": 6, "budget": 300_000, "benefit": 800_000,
         "window": (2, 10), "market": (12, 5, None),
         "annual": (400_000, 60_000), "scores": (3, 3, 2, 3), "aligns": (2, 3, 0)},
    ],
    "dependencies": [
        # predecessor, successor, kind, deliverable, needed by (days relative to when the
        # predecessor forecasts it: its milestone of that name, else its end; negative = late),
        # description
        ("RET-INV", "RET-CNC", "finish_to_start", "Real-time stock API", 21,
         "Click and collect promises stock only once the real-time feed is live."),
    ],
    "synergies": [
        # name, members, value bonus, cost saving, reason
        ("Holiday launch", ["RET-WEB", "RET-PAY"], 400_000, 0,
         "One launch campaign: the storefront and its payments go live together, before the "
         "holiday season's code freeze."),
        ("Loyalty in the app", ["RET-MOB", "RET-LOY"], 350_000, 60_000,
         "Points and offers live in the app, each bringing the other's customers; one "
         "customer-identity integration serves both."),
    ],
    "risks": [
        # portfolio risks: title, category, probability, impact, cost impact, response,
        # status, threatened projects, response plan
        ("Peak-season code freeze", "schedule", 4, 4, 250_000, "mitigate", "open",
         ["RET-WEB", "RET-PAY", "RET-INV", "RET-UAT"],
         "Go live six weeks before the November freeze or hold until January."),
    ],
    "project_risks": {  # title, category, probability, impact, cost impact, response[, status]
        "RET-WEB": [("Search relevance below target", "quality", 3, 3, 40_000, "mitigate")],
        "RET-PAY": [("Payment provider certification delay", "external", 2, 4, 60_000,
                     "mitigate")],
        "RET-INV": [("ERP real-time interface unstable", "technical", 4, 4, 150_000, "mitigate"),
                    ("Warehouse staff availability for testing", "resource", 3, 2, 20_000,
                     "accept")],
    },
    "escalations": [  # project, project risk, portfolio risk, escalated by, days ago, reason
        ("RET-INV", "ERP real-time interface unstable", "Peak-season code freeze", "raj.patel",
         12, "An unstable stock feed pushes go-live into the code freeze."),
    ],
    "gates": [  # project, from, to, outcome, decided by, days ago, rationale, conditions
        ("RET-REC", "candidate", "approved", "go", "executive", 14,
         "Strong revenue case; low delivery risk once the storefront is live.",
         "Start after the storefront go-live."),
        ("RET-LOY", "idea", "candidate", "hold", "portfolio_manager", 10,
         "Revisit once the platform is stable; partner terms still open.", ""),
    ],
    "scenarios": [
        # name, budget limit, description, capacity changes {role: {month offset: hours}},
        # forced in, forced out (ideas, candidates, on hold), stopped (approved, in progress)
        ("Next year base plan", 3_000_000,
         "Fund the app with a contract mobile developer for its nine months; defer loyalty "
         "until the platform is stable.",
         {"Mobile developer": dict.fromkeys(range(3, 12), 184)}, ["RET-MOB"], ["RET-LOY"], []),
        ("Loyalty first", 4_000_000,
         "Relaunch loyalty now; the app waits until our own mobile developers are free.", {},
         ["RET-LOY"], ["RET-MOB"], []),
    ],
}

HEALTH = {
    "code": "health",
    "name": "Healthcare digital transformation",
    "description": "Patient records, telemedicine, billing and mobile applications, managed "
    "together so they do not compete for the same specialised IT staff and collectively "
    "improve patient experience and operational efficiency.",
    "budget_envelope": 9_000_000, "fiscal_year_start_month": 4,
    "programs": [
        ("Clinical systems", "grace.kim", "Records, billing and rostering."),
        ("Patient experience", "daniel.osei", "Virtual care and the patient app."),
    ],
    "objectives": [
        ("Improve patient experience", 40, "Fewer trips, faster answers, one record."),
        ("Operational efficiency", 30, "Less paper, fewer manual billing corrections."),
        ("Regulatory compliance", 20, "Interoperability and data-protection mandates."),
        ("Staff wellbeing", 10, "Fewer systems and logins for clinicians."),
    ],
    "criteria": [
        ("Patient impact", 35, "higher", {"1": "No patient-facing change",
                                          "3": "Improves one care pathway",
                                          "5": "Improves care for most patients"}),
        ("Regulatory need", 25, "higher", {"1": "Discretionary",
                                           "5": "Required by law or the regulator"}),
        ("Financial return", 20, "higher", {"1": "Cost only", "5": "Pays back within a year"}),
        ("Delivery risk", 20, "lower", {"1": "Routine change",
                                        "5": "Clinical safety case, many integrations"}),
    ],
    "projects": [
        {"code": "HC-EPR", "name": "Electronic patient records migration",
         "manager": "grace.kim", "program": "Clinical systems", "mandatory": True,
         "description": "Move 1.2M patient records to the new EPR with HL7/FHIR interfaces.",
         "start": -9, "months": 15, "slip": 45, "budget": 3_200_000, "benefit": 5_000_000,
         "perf": (0.88, 0.96), "rag": "AAGGGA", "scores": (5, 5, 3, 5), "aligns": (3, 3, 3, 2),
         "milestones": [("Data migration strategy approved", 10, 0.10),
                        ("Pilot ward live", 25, 0.45),
                        ("FHIR patient API", 25, 0.68),
                        ("All wards migrated", 25, 0.92),
                        ("Legacy system decommissioned", 10, 0.99)],
         "team": [("Priya Nair", 0.6), ("Hannah Brooks", 0.5), ("Kwame Mensah", 0.5)]},
        {"code": "HC-TEL", "name": "Telemedicine platform", "manager": "daniel.osei",
         "program": "Patient experience",
         "description": "Video consultations integrated with scheduling and the EPR.",
         "start": -8, "months": 12, "slip": 7, "budget": 1_200_000, "benefit": 2_600_000,
         "perf": (1.0, 0.97), "rag": "GGGGGG", "scores": (5, 2, 4, 3), "aligns": (3, 2, 1, 2),
         "team": [("Priya Nair", 0.6), ("Kwame Mensah", 0.4), ("Olivia Grant", 0.4)]},
        {"code": "HC-BIL", "name": "Billing system replacement", "manager": "grace.kim",
         "program": "Clinical systems",
         "description": "Replace the 20-year-old billing system; claims via FHIR.",
         "start": -7, "months": 11, "slip": 75, "budget": 1_800_000, "benefit": 3_200_000,
         "perf": (0.80, 0.78), "rag": "RARGAR", "forecast_cost": "1.30",
         "escalations": "Claims-rule backlog needs two more integration engineers or a "
         "three-month re-plan.",
         "scores": (2, 4, 5, 4), "aligns": (1, 3, 2, 1),
         "team": [("Tomás Silva", 0.5), ("Hannah Brooks", 0.5), ("Olivia Grant", 0.4),
                  ("role:Integration engineer (HL7/FHIR)", 1.0, "requested")]},
        {"code": "HC-APP", "name": "Patient mobile app", "manager": "daniel.osei",
         "program": "Patient experience",
         "description": "Appointments, results and messaging for patients.",
         "start": -5, "months": 10, "slip": 30, "budget": 900_000, "benefit": 1_400_000,
         "perf": (0.92, 0.95), "rag": "AAGGGA", "scores": (5, 1, 3, 3), "aligns": (3, 1, 1, 1),
         "team": [("Yuki Tanaka", 1.0), ("Tomás Silva", 0.4),
                  ("role:Integration engineer (HL7/FHIR)", 0.5, "requested")]},
        {"code": "HC-ROS", "name": "Staff rostering integration", "stage": "on_hold",
         "manager": "grace.kim", "program": "Clinical systems", "hold_from": -2,
         "description": "Connect rostering to the EPR so clinics see who is on shift.",
         "start": -7, "months": 9, "budget": 400_000, "benefit": 500_000,
         "perf": (0.85, 0.90), "rag": "AAGAGA", "scores": (2, 1, 2, 2), "aligns": (0, 2, 0, 3)},
        {"code": "HC-AIT", "name": "AI triage pilot", "stage": "candidate",
         "program": "Patient experience",
         "description": "Symptom checker routing patients to the right service.",
         "start": 3, "months": 8, "budget": 500_000, "benefit": 1_000_000,
         # The integration engineers are free once telemedicine and billing are done.
         "window": (2, 9), "market": (14, 5, None),
         "annual": (450_000, 80_000), "scores": (4, 1, 3, 4), "aligns": (3, 2, 0, 1),
         "team": [("role:Integration engineer (HL7/FHIR)", 0.5, "requested")]},
    ],
    "dependencies": [
        ("HC-EPR", "HC-APP", "finish_to_start", "FHIR patient API", -35,
         "The app reads appointments and results through the EPR's FHIR API.", 1),
        ("HC-EPR", "HC-AIT", "finish_to_start", "FHIR patient API", 60,
         "Triage books appointments and reads the record through the patient API: the pilot "
         "starts a month after the API is live.", 1),
        ("HC-EPR", "HC-TEL", "shared_deliverable", "Pilot ward live", 30,
         "Telemedicine writes consultation notes to the new record from the pilot ward."),
    ],
    "risks": [
        ("Scarce HL7/FHIR integration skills", "resource", 4, 5, 400_000, "mitigate", "open",
         ["HC-EPR", "HC-TEL", "HC-BIL", "HC-APP"],
         "Contract two FHIR engineers; sequence integration work across the portfolio."),
        ("New interoperability regulation", "regulatory", 3, 4, 250_000, "mitigate",
         "monitoring", ["HC-EPR", "HC-BIL"],
         "Track the consultation; design the APIs to the draft standard."),
    ],
    "project_risks": {
        "HC-EPR": [("Integration engineer is a single point of failure", "resource", 4, 4,
                    180_000, "mitigate"),
                   ("Data quality of legacy records", "quality", 3, 4, 120_000, "mitigate")],
        "HC-BIL": [("Claims rules not documented", "scope", 4, 3, 90_000, "mitigate")],
        "HC-APP": [("App-store review rejects health features", "external", 2, 3, 25_000,
                    "accept")],
        "HC-TEL": [("Video quality on rural broadband", "technical", 2, 2, 15_000, "mitigate",
                    "closed")],
    },
    "escalations": [
        ("HC-EPR", "Integration engineer is a single point of failure",
         "Scarce HL7/FHIR integration skills", "grace.kim", 20,
         "The same engineer is planned at 120% across EPR and telemedicine next quarter."),
    ],
    "synergies": [
        ("Patient front door", ["HC-APP", "HC-AIT"], 250_000, 0,
         "Triage in the patient app: patients check symptoms where they book, and the app "
         "gains a reason to open it."),
    ],
    "gates": [
        ("HC-ROS", "in_progress", "on_hold", "hold", "portfolio_manager", 60,
         "Integration engineers are needed on the EPR migration first.",
         "Restart when the EPR pilot ward is live."),
    ],
    "scenarios": [
        ("Contract FHIR engineers", 9_500_000,
         "Three contract integration engineers for six months: the committed work alone needs "
         "more than our two, and the AI triage pilot needs half an engineer on top.",
         {"Integration engineer (HL7/FHIR)": dict.fromkeys(range(1, 7), 480)}, ["HC-AIT"], [],
         []),
        ("Hold the line", 8_500_000,
         "No contractors and a smaller envelope: the AI triage pilot waits for the EPR team.",
         {}, [], ["HC-AIT"], []),
    ],
}

FINANCE = {
    "code": "finance",
    "name": "Financial services digital transformation",
    "description": "Mobile banking, core system modernisation, data analytics and "
    "cybersecurity as one digital-first portfolio: the projects share the data architecture "
    "and must not conflict on system interfaces.",
    "budget_envelope": 15_000_000, "fiscal_year_start_month": 1,
    "programs": [
        ("Digital-first banking", "sofia.rossi", "Customer-facing channels and the core."),
        ("Data and security", "liam.murphy", "Shared data architecture and zero trust."),
    ],
    "objectives": [
        ("Digital-first customer experience", 35, "Most interactions self-served in the app."),
        ("Modernise core systems", 30, "Retire the mainframe core by 2028."),
        ("Data-driven decisions", 20, "One governed data platform for analytics and AI."),
        ("Security and resilience", 15, "Zero-trust, tested recovery."),
    ],
    "criteria": [
        ("Customer value", 30, "higher", {"1": "Invisible to customers",
                                          "5": "Changes how most customers bank"}),
        ("Regulatory and risk reduction", 25, "higher", {"1": "None",
                                                         "5": "Closes a regulatory finding"}),
        ("Net present value", 25, "higher", {"1": "Negative", "3": "Around $2M",
                                             "5": "Over $10M"}),
        ("Delivery complexity", 20, "lower", {"1": "One team, no interfaces",
                                              "5": "Many systems, core cut-over"}),
    ],
    "projects": [
        {"code": "FIN-MOB", "name": "Mobile banking app", "manager": "sofia.rossi",
         "program": "Digital-first banking",
         "description": "New app: onboarding, payments, cards, in-app support.",
         "start": -7, "months": 14, "slip": 10, "budget": 2_400_000, "benefit": 6_000_000,
         "perf": (0.98, 1.01), "rag": "GGGGGG", "scores": (5, 2, 4, 3), "aligns": (3, 1, 1, 1),
         "team": [("Isabel Ortiz", 1.0), ("Fatima Al-Sayed", 24, "confirmed", "hours")]},
        # The watermelon: reports green every month while SPI and CPI say red.
        {"code": "FIN-CORE", "name": "Core banking modernisation", "manager": "project_manager",
         "program": "Digital-first banking",
         "description": "Move accounts and payments off the mainframe core in waves.",
         "start": -11, "months": 24, "slip": 20, "budget": 6_500_000, "benefit": 12_000_000,
         "perf": (0.72, 0.78), "rag": "GGGGGG", "forecast_cost": "1.00",
         "note": "All workstreams progressing well; no issues to escalate.",
         "scores": (3, 4, 5, 5), "aligns": (1, 3, 2, 2),
         "team": [("George Adeyemi", 0.6), ("Jack Thompson", 0.5),
                  ("Elena Kowalski", 0.4, "requested")]},
        {"code": "FIN-DATA", "name": "Data analytics platform", "manager": "liam.murphy",
         "program": "Data and security",
         "description": "Governed lakehouse, customer 360 and regulatory reporting.",
         "start": -10, "months": 15, "slip": 50, "budget": 2_000_000, "benefit": 4_000_000,
         "perf": (0.89, 0.93), "rag": "AAGGGA", "scores": (3, 3, 4, 3), "aligns": (1, 1, 3, 1),
         "milestones": [("Platform foundation", 15, 0.15),
                        ("Data ingestion pipelines", 25, 0.45),
                        ("Data architecture v2", 25, 0.72),
                        ("Customer 360 and regulatory reporting", 25, 0.95)],
         "team": [("Elena Kowalski", 0.8), ("David Nguyen", 1.0), ("George Adeyemi", 0.2)]},
        {"code": "FIN-SEC", "name": "Cybersecurity zero-trust programme",
         "manager": "liam.murphy", "program": "Data and security", "mandatory": True,
         "description": "Identity-based access, micro-segmentation, tested recovery.",
         "start": -6, "months": 12, "budget": 1_600_000, "benefit": 2_000_000,
         "perf": (1.02, 0.98), "rag": "GGGGGA", "scores": (2, 5, 3, 3), "aligns": (1, 1, 0, 3),
         "team": [("Fatima Al-Sayed", 0.7), ("Jack Thompson", 0.4)]},
        {"code": "FIN-OPEN", "name": "Open banking APIs", "stage": "candidate",
         "program": "Digital-first banking", "requires": ["FIN-DATA"],
         "description": "Partner APIs for account information and payment initiation.",
         "start": 2, "months": 9, "budget": 1_100_000, "benefit": 2_500_000,
         "window": (1, 8), "market": (12, 4, None),
         "annual": (900_000, 120_000), "scores": (4, 4, 3, 3), "aligns": (3, 1, 2, 1),
         "team": [("role:Solution architect", 0.5, "requested")]},
        {"code": "FIN-ROBO", "name": "Robo-advice service", "stage": "idea",
         "program": "Digital-first banking",
         "description": "Automated investment advice in the app.",
         "start": 6, "months": 12, "budget": 800_000, "benefit": 1_800_000,
         "window": (3, 12),
         "annual": (600_000, 140_000), "scores": (4, 1, 3, 4), "aligns": (3, 0, 2, 0)},
    ],
    "dependencies": [
        ("FIN-DATA", "FIN-CORE", "shared_deliverable", "Data architecture v2", -25,
         "Core migration waves map accounts to the v2 data model."),
        ("FIN-DATA", "FIN-MOB", "shared_deliverable", "Data architecture v2", 45,
         "The app's spending insights read from the v2 customer model."),
        ("FIN-DATA", "FIN-OPEN", "finish_to_start", "Data architecture v2", 30,
         "Partner APIs expose accounts in the v2 data model, so they are built on it."),
        ("FIN-DATA", "FIN-ROBO", "finish_to_start", "Customer 360 and regulatory reporting",
         60, "Advice needs the customer 360 view: it starts two months after it is live.", 2),
    ],
    "synergies": [
        ("Data architecture v2 feeds security", ["FIN-DATA", "FIN-SEC"], 300_000, 0,
         "The v2 data classification drives the zero-trust access policies: each is worth "
         "more with the other."),
        ("One consent and API gateway", ["FIN-OPEN", "FIN-ROBO"], 0, 180_000,
         "A shared deliverable: the customer-consent service and API gateway on the v2 data "
         "architecture are built once for partner APIs and robo-advice."),
    ],
    "risks": [
        ("Data architecture v2 delay", "technical", 4, 4, 600_000, "mitigate", "open",
         ["FIN-DATA", "FIN-CORE", "FIN-MOB"],
         "Freeze the v2 model for accounts first; release customer 360 later."),
        ("Third-party fraud attack surge", "security", 3, 5, 900_000, "mitigate", "monitoring",
         ["FIN-MOB", "FIN-SEC", "FIN-CORE"],
         "Step-up authentication and transaction monitoring before the app launch."),
    ],
    "project_risks": {
        "FIN-CORE": [("Mainframe skills retiring", "resource", 4, 4, 300_000, "mitigate"),
                     ("Data model v2 not ready for wave 1", "dependency", 4, 4, 450_000,
                      "mitigate")],
        "FIN-MOB": [("App-store release timing", "schedule", 2, 2, 20_000, "accept")],
        "FIN-DATA": [("Source system extracts late", "dependency", 3, 3, 80_000, "mitigate")],
        "FIN-SEC": [("Legacy apps cannot do modern authentication", "technical", 3, 3, 120_000,
                     "transfer")],
    },
    "escalations": [
        ("FIN-CORE", "Data model v2 not ready for wave 1", "Data architecture v2 delay", "pmo",
         8, "Three projects depend on the v2 model; needs a portfolio decision."),
    ],
    "gates": [
        ("FIN-OPEN", "idea", "candidate", "go", "executive", 75,
         "Regulatory pressure and partner demand justify a full business case.",
         "Business case to show the dependency on the data platform."),
        ("FIN-OPEN", "candidate", "approved", "hold", "executive", 45,
         "Architecture is sound, but funding waits for the budget round.", ""),
        ("FIN-OPEN", "on_hold", "candidate", "go", "pmo", 40,
         "Back in the queue for the next funding round.", ""),
    ],
    "scenarios": [
        ("Defer robo-advice", 14_000_000,
         "Keep the mandatory security work, add open banking with a contract architect for "
         "its first two months, defer robo-advice.",
         {"Solution architect": {2: 80, 3: 80}}, ["FIN-OPEN"], ["FIN-ROBO"], []),
        ("Stop core banking", 14_000_000,
         "FIN-CORE reports green while its SPI and CPI are red: stop it, put its architect on "
         "open banking and fund robo-advice.",
         {}, ["FIN-OPEN", "FIN-ROBO"], [], ["FIN-CORE"]),
    ],
}

PRODUCT = {
    "code": "product",
    "name": "Software product portfolio",
    "description": "The software company's coordinated product portfolio: AI features, UI "
    "improvements, integration capabilities and platform scalability, so features work "
    "together and support competitive positioning.",
    "budget_envelope": 7_000_000, "fiscal_year_start_month": 1,
    "programs": [
        ("Intelligent product", "project_manager", "AI and UX that set us apart."),
        ("Platform", "liam.murphy", "Scale, integrations and retiring old APIs."),
    ],
    "objectives": [
        ("Competitive differentiation", 40, "Win deals on AI and UX."),
        ("Enterprise readiness", 35, "Scale, integrations and compliance for large customers."),
        ("Reduce cost to serve", 25, "Lower hosting and support cost per customer."),
    ],
    "criteria": [
        ("Customer demand", 35, "higher", {"1": "No customer has asked",
                                           "5": "Top request from enterprise accounts"}),
        ("Annual recurring revenue impact", 30, "higher", {"1": "Under $100k",
                                                           "5": "Over $2M"}),
        ("Technical risk", 20, "lower", {"1": "Known stack", "5": "Research needed"}),
        ("Strategic fit", 15, "higher", {"1": "Off-strategy", "5": "Core to the roadmap"}),
    ],
    "projects": [
        {"code": "PRD-AI", "name": "AI assistant features", "manager": "project_manager",
         "program": "Intelligent product",
         "description": "In-product assistant: summaries, drafting, natural-language search.",
         "start": -6, "months": 10, "slip": 25, "budget": 1_400_000, "benefit": 4_000_000,
         "perf": (0.91, 0.88), "rag": "AAAGAA", "scores": (5, 4, 4, 5), "aligns": (3, 1, 1),
         # Last month's report still a draft: late, for "My work" and the reminders.
         "late_report": True,
         "team": [("Mei Lin", 0.8), ("Noah Fischer", 0.8), ("Omar Haddad", 0.4)]},
        {"code": "PRD-UI", "name": "UI redesign", "manager": "sofia.rossi",
         "program": "Intelligent product",
         "description": "New design system, navigation and accessibility fixes.",
         "start": -5, "months": 8, "budget": 700_000, "benefit": 1_500_000,
         "perf": (0.99, 1.04), "rag": "GGGGGG", "scores": (4, 2, 2, 4), "aligns": (2, 1, 1),
         "team": [("Sara Johansson", 1.0), ("Omar Haddad", 0.4), ("Ana Souza", 0.5)]},
        {"code": "PRD-SCALE", "name": "Platform scalability (multi-region)",
         "manager": "daniel.osei", "program": "Platform",
         "description": "Sharded database, multi-region deployment, 10x headroom.",
         "start": -9, "months": 14, "slip": 90, "budget": 1_900_000, "benefit": 3_000_000,
         "perf": (0.76, 0.83), "rag": "AARGAA", "forecast_cost": "1.20",
         "escalations": "Re-sharding needs a maintenance window per region; approve the "
         "customer communications plan.",
         "scores": (3, 3, 5, 4), "aligns": (1, 3, 2),
         "team": [("Lucas Moreau", 1.0), ("Ana Souza", 0.3),
                  ("role:Security engineer", 0.2, "requested")]},
        {"code": "PRD-INT", "name": "Integration marketplace", "manager": "sofia.rossi",
         "program": "Platform",
         "description": "Public API v3, webhooks and twenty packaged connectors.",
         "start": -7, "months": 11, "slip": 7, "budget": 1_100_000, "benefit": 2_800_000,
         "perf": (0.96, 0.96), "rag": "GGGGGG", "scores": (4, 4, 3, 4), "aligns": (2, 3, 1),
         "team": [("Omar Haddad", 0.2), ("Ana Souza", 0.2),
                  ("role:DevOps engineer", 0.5, "requested")]},
        {"code": "PRD-LEG", "name": "Legacy API sunset", "stage": "closed",
         "manager": "liam.murphy", "program": "Platform",
         "description": "Migrate customers off API v1 and switch it off.",
         "start": -11, "months": 10, "budget": 300_000, "benefit": 400_000,
         "perf": (1.0, 1.02), "rag": "GGGGGG", "scores": (2, 1, 2, 3), "aligns": (0, 1, 3)},
        {"code": "PRD-OFF", "name": "Offline mode", "stage": "candidate",
         "program": "Intelligent product", "requires": ["PRD-SCALE"],
         "description": "Work offline in the desktop and mobile clients; sync on reconnect.",
         "start": 3, "months": 6, "budget": 450_000, "benefit": 900_000,
         # Worth most before the mobile clients' spring release: two months late as planned.
         "window": (1, 8), "market": (6, 20, None),
         "annual": (500_000, 50_000), "scores": (3, 2, 4, 3), "aligns": (2, 1, 0),
         "team": [("role:Full-stack developer", 1.0, "requested")]},
        {"code": "PRD-BILL", "name": "Usage-based billing", "stage": "idea",
         "program": "Platform",
         "description": "Meter API calls and AI usage; bill per use.",
         "start": 5, "months": 6, "budget": 600_000, "benefit": 1_600_000,
         "window": (2, 12), "market": (12, 5, 18),
         "annual": (800_000, 90_000), "scores": (3, 4, 3, 4), "aligns": (1, 2, 2),
         # Metering runs on the platform team's DevOps engineers, busy with the multi-region
         # rollout until the summer: at its requested start it does not fit (issue 17).
         "team": [("role:DevOps engineer", 1.0, "requested")]},
    ],
    "dependencies": [
        ("PRD-UI", "PRD-AI", "shared_deliverable", "Design system v3 components", 20,
         "The assistant panel uses the new design system."),
    ],
    "synergies": [
        ("One platform", ["PRD-AI", "PRD-SCALE"], 0, 250_000,
         "The assistant's inference runs on the multi-region platform: one GPU pool and one "
         "deployment pipeline serve both."),
        ("Metered AI", ["PRD-AI", "PRD-BILL"], 400_000, 0,
         "Usage-based billing charges for assistant usage, which pays for its inference."),
    ],
    "risks": [
        ("Cloud cost inflation", "financial", 3, 3, 300_000, "mitigate", "open",
         ["PRD-SCALE", "PRD-AI"], "Committed-use discounts; per-tenant cost dashboards."),
    ],
    "project_risks": {
        "PRD-AI": [("Model provider pricing change", "financial", 3, 3, 100_000, "mitigate"),
                   ("Hallucinated answers reach customers", "quality", 2, 5, 200_000,
                    "mitigate")],
        "PRD-SCALE": [("Re-sharding causes downtime", "technical", 3, 5, 350_000, "mitigate")],
        "PRD-UI": [("Accessibility audit findings", "quality", 2, 2, 15_000, "accept")],
    },
    # Project risks whose due dates have passed (responses not yet in place).
    "overdue_risks": ["PRD-AI"],
    "escalations": [],
    "gates": [
        ("PRD-LEG", "closing", "closed", "go", "pmo", 20,
         "All customers migrated; API v1 switched off without incident.", ""),
    ],
    "scenarios": [
        ("Usage billing first", 7_000_000,
         "Bill per use before building offline mode, with a contract DevOps engineer while "
         "the platform work holds ours.",
         {"DevOps engineer": dict.fromkeys(range(5, 11), 168)},
         ["PRD-BILL"], ["PRD-OFF"], []),
        ("Offline mode first", 6_000_000,
         "Offline mode for the mobile clients; usage-based billing waits a year.", {},
         ["PRD-OFF"], ["PRD-BILL"], []),
    ],
}

PORTFOLIOS = [RETAIL, HEALTH, FINANCE, PRODUCT]

# Each portfolio's checklist per gate (the stage the gate opens): the PMO's common template,
# plus a portfolio's own criteria.
GATE_CHECKLIST = {
    "candidate": [("Problem and sponsor named", "Who asks for it, and what it fixes."),
                  ("Rough cost and benefit", "Order-of-magnitude estimate, ±50%.")],
    "approved": [("Business case approved", "Signed off by the sponsor and finance."),
                 ("Architecture review passed", "Enterprise architecture board minutes."),
                 ("Funding confirmed", "Budget released for the first year.")],
    "in_progress": [("Baseline plan signed off", "Milestones, budget and dates baselined."),
                    ("Team staffed", "Key roles confirmed by the resource managers."),
                    ("Risks logged with owners", "Top risks in the register, each owned.")],
    "closing": [("Deliverables accepted", "Acceptance signed by the business owner."),
                ("Handover to operations agreed", "Support model and runbooks in place.")],
    "closed": [("Lessons learned recorded", "Retrospective held and published."),
               ("Benefits owner named", "Who tracks the benefits after closure.")],
}
GATE_CHECKLIST_EXTRA = {  # portfolio: {gate: [(name, description)]}
    "health": {"approved": [("Clinical safety case signed off",
                             "Clinical safety officer's sign-off (DCB0129).")]},
    "finance": {"approved": [("Regulatory compliance review passed",
                              "Compliance and model-risk review, where it applies.")]},
}
# Evidence at a demo gate beyond "all met": (project, gate): ({criterion: (status, note)},
# override reason).
GATE_EVIDENCE = {
    ("RET-REC", "approved"): (
        {"Funding confirmed": ("not_met", "Second tranche goes to the Q3 board.")},
        "The first tranche covers the build and the revenue case is strong; the second "
        "tranche is confirmed at the Q3 board.",
    ),
    ("FIN-OPEN", "approved"): (
        {"Architecture review passed": ("met", "EA board approved the API gateway pattern."),
         "Funding confirmed": ("not_met", "Waits for the FY budget round."),
         "Regulatory compliance review passed": (
             "waived", "No customer data leaves the bank; compliance agreed by mail.")},
        "",
    ),
    ("RET-LOY", "candidate"): (
        {"Rough cost and benefit": ("not_met", "Partner terms still open.")}, "",
    ),
}

# fmt: on

# ---------------------------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------------------------

RAG_LETTERS = {"G": "green", "A": "amber", "R": "red"}
RAG_ORDER = ["green", "amber", "red"]
COST_MIX = [("labour", Decimal("0.55")), ("contractor", Decimal("0.30"))]
COST_ROTATION = ["software", "hardware", "travel", "other"]  # the remaining 15%, by month
CENT = Decimal("0.01")
STARTED_STAGES = ("in_progress", "closing", "closed", "on_hold")
_APPROVED = [("candidate", "approved")]
_STARTED = [*_APPROVED, ("approved", "in_progress")]
GATE_CHAINS = {  # the gates a project in this stage has passed (the last one may be explicit)
    "approved": _APPROVED,
    "in_progress": _STARTED,
    "on_hold": _STARTED,
    "closing": [*_STARTED, ("in_progress", "closing")],
    "closed": [*_STARTED, ("in_progress", "closing")],
}
DEMO_APPS = ("portfolio", "projects", "resources", "risks", "reporting", "webhooks")


def at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


def dec(value) -> Decimal:
    return Decimal(str(value))


def _stored(model, name, value):
    """The value as the row stores it: foreign keys compare by primary key."""
    model_field = model._meta.get_field(name)
    if model_field.is_relation and value is not None and hasattr(value, "pk"):
        return value.pk
    return value


def upsert(model, lookup: dict, values: dict | None = None):
    """get_or_create + update, saving only when a value changed (no history churn)."""
    values = values or {}
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values)
    changed = False
    for name, value in values.items():
        model_field = model._meta.get_field(name)
        current = getattr(obj, model_field.attname)
        if current != _stored(model, name, value):
            setattr(obj, name, value)
            changed = True
    if changed:
        obj.save()
    return obj


def sync(model, parent: dict, keys: tuple[str, ...], rows: list[dict]):
    """Make the children of `parent` exactly `rows`: update by key, create, delete the rest."""
    existing = {
        tuple(getattr(obj, model._meta.get_field(k).attname) for k in keys): obj
        for obj in model._default_manager.filter(**parent)
    }
    wanted = set()
    for row in rows:
        key = tuple(_stored(model, k, row[k]) for k in keys)
        wanted.add(key)
        obj = existing.get(key)
        values = {k: v for k, v in row.items() if k not in keys}
        if obj is None:
            model._default_manager.create(**parent, **row)
            continue
        changed = False
        for name, value in values.items():
            if getattr(obj, model._meta.get_field(name).attname) != _stored(model, name, value):
                setattr(obj, name, value)
                changed = True
        if changed:
            obj.save()
    for key, obj in existing.items():
        if key not in wanted:
            obj.delete()


@dataclass
class DemoBuilder:
    today: date
    users: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    projects: dict = field(default_factory=dict)
    _password_hash: str | None = None

    @property
    def this_month(self) -> date:
        return month_start(self.today)

    # -- people -------------------------------------------------------------------------------
    def password_hash(self) -> str:
        # One hash for every new demo user: hashing is deliberately slow, the password shared.
        if self._password_hash is None:
            self._password_hash = make_password(DEMO_PASSWORD)
        return self._password_hash

    def user(self, username, first, last, is_staff=False):
        User = get_user_model()
        values = {
            "first_name": first,
            "last_name": last,
            "email": f"{username}@slate.example",
            "is_staff": is_staff,
            "is_active": True,
        }
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, **values)
            user.password = self.password_hash()  # set only when creating: no churn
            user.save()
        elif any(getattr(user, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(user, k, v)
            user.save()
        self.users[username] = user
        return user

    def build_users(self):
        for username, first, last, is_staff, _memberships, _sees in DEMO_LOGINS:
            self.user(username, first, last, is_staff)
        for username, first, last in PROJECT_MANAGERS:
            self.user(username, first, last)
        app_label, codename = ["portfolio", "pmo_admin"]
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        self.users["pmo"].user_permissions.add(permission)

    def build_resources(self):
        standard = upsert(Calendar, {"name": CALENDAR[0]}, {"hours_per_day": dec(CALENDAR[1])})
        for year in range(self.today.year - 1, self.today.year + 2):
            for month, day, name in HOLIDAYS:
                upsert(
                    PublicHoliday,
                    {"calendar": standard, "date": date(year, month, day)},
                    {"name": name},
                )
        for name, rate in ROLES:
            self.roles[name] = upsert(Role, {"name": name}, {"default_cost_rate": dec(rate)})
        skills = {name: Skill.objects.get_or_create(name=name)[0] for name in SKILLS}
        for name, role, fte, rate, person_skills in PEOPLE:
            person = upsert(
                Resource,
                {"email": f"{slugify(name).replace('-', '.')}@slate.example"},
                {
                    "name": name,
                    "role": self.roles[role],
                    "calendar": standard,
                    "fte": dec(fte),
                    "cost_rate": dec(rate),
                    "start_date": add_months(self.today, -30),
                    "end_date": None,
                },
            )
            person.skills.set([skills[s] for s in person_skills])
            self.people[name] = person
        for name, kind, starts_in, days, hours, note in CAPACITY_ADJUSTMENTS:
            start = self.today + timedelta(days=starts_in)
            upsert(
                CapacityAdjustment,
                {"resource": self.people[name], "note": note},
                {
                    "kind": kind,
                    "start_date": start,
                    "end_date": start + timedelta(days=days - 1),
                    "hours_per_day": None if hours is None else dec(hours),
                },
            )

    # -- portfolios ---------------------------------------------------------------------------
    def build_portfolio(self, spec):
        portfolio = upsert(
            Portfolio,
            {"code": spec["code"]},
            {
                "name": spec["name"],
                "description": spec["description"],
                "currency": "USD",
                "budget_envelope": dec(spec["budget_envelope"]),
                "fiscal_year_start_month": spec["fiscal_year_start_month"],
            },
        )
        for username, _f, _l, _s, memberships, _sees in DEMO_LOGINS:
            role = memberships.get(spec["code"]) or memberships.get(ALL)
            if role:
                upsert(
                    PortfolioMembership,
                    {"user": self.users[username], "portfolio": portfolio},
                    {"role": role},
                )
        programs = {
            name: upsert(
                Program,
                {"portfolio": portfolio, "name": name},
                {"manager": self.users[manager], "description": description},
            )
            for name, manager, description in spec["programs"]
        }
        objectives = [
            upsert(
                StrategicObjective,
                {"portfolio": portfolio, "name": name},
                {
                    "weight": dec(weight),
                    "description": description,
                    "active_from": date(self.today.year - 1, 1, 1),
                    "active_until": None,
                },
            )
            for name, weight, description in spec["objectives"]
        ]
        criteria = [
            upsert(
                ScoringCriterion,
                {"portfolio": portfolio, "name": name},
                {"weight": dec(weight), "direction": direction, "anchors": anchors},
            )
            for name, weight, direction, anchors in spec["criteria"]
        ]
        for project_spec in spec["projects"]:
            project = self.build_project(portfolio, programs, project_spec)
            for criterion, score in zip(criteria, project_spec["scores"], strict=True):
                upsert(
                    ProjectScore,
                    {"project": project, "criterion": criterion},
                    {"score": score, "scored_by": self.users["portfolio_manager"]},
                )
            for objective, level in zip(objectives, project_spec["aligns"], strict=True):
                upsert(
                    ObjectiveContribution,
                    {"project": project, "objective": objective},
                    {"contribution": level},
                )
        for project_spec in spec["projects"]:
            project = self.projects[project_spec["code"]]
            project.requires.set([self.projects[c] for c in project_spec.get("requires", [])])
            project.excludes.set([self.projects[c] for c in project_spec.get("excludes", [])])
        self.build_dependencies(spec)
        self.build_synergies(portfolio, spec)
        self.build_risks(portfolio, spec)
        self.build_allocations(spec)
        checklist = self.build_gate_criteria(portfolio, spec)
        self.build_gates(spec, checklist)
        for name, limit, description, capacity, forced_in, forced_out, stopped in spec["scenarios"]:
            scenario = upsert(
                Scenario,
                {"portfolio": portfolio, "name": name},
                {
                    "budget_limit": dec(limit),
                    "description": description,
                    "created_by": self.users["portfolio_manager"],
                    "capacity_changes": {
                        role: {
                            f"{add_months(self.today, m):%Y-%m}": hours
                            for m, hours in months.items()
                        }
                        for role, months in capacity.items()
                    },
                },
            )
            scenario.forced_in.set([self.projects[c] for c in forced_in])
            scenario.forced_out.set([self.projects[c] for c in forced_out])
            scenario.stopped.set([self.projects[c] for c in stopped])
        return portfolio

    def project_dates(self, spec):
        start = add_months(self.today, spec["start"])
        baseline_end = month_end(add_months(self.today, spec["start"] + spec["months"] - 1))
        return start, baseline_end, baseline_end + timedelta(days=spec.get("slip", 0))

    def project_timing(self, spec) -> dict:
        """The start window (months from this month) of a pipeline project, and its market
        window: target launch month, % of value lost per month late, deadline month."""
        earliest, latest = spec.get("window", (None, None))
        target, decay, deadline = spec.get("market", (None, 0, None))

        def month(offset):
            return None if offset is None else add_months(self.today, offset)

        return {
            "earliest_start": month(earliest),
            "latest_start": month(latest),
            "target_launch": month(target),
            "value_decay_percent": dec(decay),
            "value_deadline": month(deadline),
        }

    def build_synergies(self, portfolio, spec):
        kept = []
        for name, codes, bonus, saving, reason in spec.get("synergies", []):
            synergy = upsert(
                Synergy,
                {"portfolio": portfolio, "name": name},
                {
                    "reason": reason,
                    "value_bonus": dec(bonus),
                    "cost_saving": dec(saving),
                    "created_by": self.users["portfolio_manager"],
                },
            )
            synergy.members.set([self.projects[code] for code in codes])
            kept.append(synergy.pk)
        Synergy.objects.filter(portfolio=portfolio).exclude(pk__in=kept).delete()

    def build_project(self, portfolio, programs, spec):
        stage = spec.get("stage", "in_progress")
        start, baseline_end, end = self.project_dates(spec)
        baselined = stage not in ("idea", "candidate")
        annual_benefit, annual_cost = spec.get("annual", (0, 0))
        manager = self.users[spec["manager"]] if spec.get("manager") else None
        project = upsert(
            Project,
            {"portfolio": portfolio, "code": spec["code"]},
            {
                "name": spec["name"],
                "description": spec["description"],
                "stage": stage,
                "program": programs.get(spec.get("program")),
                "manager": manager,
                "sponsor": self.users["executive"],
                "start_date": start,
                "end_date": end,
                "baseline_start": start if baselined else None,
                "baseline_end": baseline_end if baselined else None,
                "baseline_set_at": at_nine(start - timedelta(days=14)) if baselined else None,
                "baseline_set_by": self.users["pmo"] if baselined else None,
                "budget": dec(spec["budget"]),
                "expected_benefit": dec(spec["benefit"]),
                "annual_benefit": dec(annual_benefit),
                "annual_cost": dec(annual_cost),
                "is_mandatory": spec.get("mandatory", False),
                **self.project_timing(spec),
            },
        )
        self.projects[spec["code"]] = project
        milestones = self.milestone_rows(spec, start, baseline_end) if baselined else []
        sync(Milestone, {"project": project}, ("name",), milestones)
        reports, costs = [], []
        if stage in STARTED_STAGES:
            reports, costs = self.progress_rows(spec, project, milestones)
        sync(StatusReport, {"project": project}, ("period_start",), reports)
        sync(CostEntry, {"project": project}, ("date", "category", "description"), costs)
        return project

    def milestone_rows(self, spec, start, baseline_end):
        span = (baseline_end - start).days
        slip = spec.get("slip", 0)
        closed = spec.get("stage") == "closed"
        rows = []
        for sequence, (name, weight, position) in enumerate(
            spec.get("milestones", MILESTONE_TEMPLATE), start=1
        ):
            baseline = start + timedelta(days=round(span * position))
            forecast = baseline + timedelta(days=round(slip * position))
            done = closed or forecast < self.today
            if done:
                status = "done"
            elif baseline < self.today or forecast <= self.today + timedelta(days=45):
                status = "in_progress"
            else:
                status = "planned"
            rows.append(
                {
                    "name": name,
                    "sequence": sequence,
                    "weight": dec(weight),
                    "baseline_date": baseline,
                    "forecast_date": forecast,
                    "actual_date": forecast if done else None,
                    "status": status,
                }
            )
        return rows

    def progress_rows(self, spec, project, milestones):
        """Monthly status reports and cost entries that make SPI and CPI as designed at the
        status date (the end of the latest submitted report's month); costs after it go on at
        the same CPI ("spent since status date")."""
        spi, cpi = (dec(x) for x in spec["perf"])
        points = [(m["baseline_date"], m["weight"]) for m in milestones]

        def planned(day):
            return evm.planned_percent(project.baseline_start, project.baseline_end, points, day)

        stage = project.stage
        # Reporting stops when the project stops: at the hold, at the end, or this month.
        if "hold_from" in spec:
            last_month = add_months(self.today, spec["hold_from"] - 1)
        elif stage == "closed":
            last_month = month_start(project.end_date)
        else:
            last_month = self.this_month
        months = []
        month = month_start(project.start_date)
        while month <= last_month:
            months.append(month)
            month = add_months(month, 1)
        months = months[-12:]
        submitted = [m for m in months if m < self.this_month]
        late_draft = None
        if spec.get("late_report") and submitted:
            late_draft = submitted.pop()  # started, never submitted: late
        # The status date; a project without a submitted report is measured today.
        measured_at = (
            month_end(submitted[-1]) if submitted else min(self.today, month_end(last_month))
        )
        # Rounded so the indices land on the designed side of a health threshold.
        final_pct = min(Decimal("100"), planned(measured_at) * spi).quantize(CENT, ROUND_CEILING)
        last_planned = planned(measured_at) if submitted else Decimal("0")
        overall = [RAG_LETTERS[letter] for letter in spec["rag"]]
        manager = project.manager
        forecast_cost = (
            (project.budget * dec(spec["forecast_cost"])).quantize(CENT)
            if "forecast_cost" in spec
            else None
        )

        reports = []
        for index, month in enumerate(months):
            period_end = month_end(month)
            is_draft = month in (self.this_month, late_draft)
            latest = is_draft or (bool(submitted) and month == submitted[-1])
            if is_draft or not last_planned:
                pct = final_pct
            else:
                pct = (final_pct * planned(period_end) / last_planned).quantize(CENT)
            rags = overall if latest else self.earlier_rags(overall, index, len(months))
            reached = [
                m["name"]
                for m in milestones
                if m["actual_date"] and month <= m["actual_date"] <= period_end
            ]
            upcoming = [m["name"] for m in milestones if m["forecast_date"] > period_end][:1]
            summary = RAG_NARRATIVE[rags[0]]
            if latest and spec.get("note"):
                summary = spec["note"]
            reports.append(
                {
                    "period_start": month,
                    "period_end": period_end,
                    "state": "draft" if is_draft else "submitted",
                    **dict(zip(RAG_FIELDS, rags, strict=True)),
                    "percent_complete": min(pct, Decimal("100")),
                    "forecast_end": project.end_date,
                    "forecast_cost": forecast_cost,
                    "summary": summary,
                    "accomplishments": "Reached: " + ", ".join(reached) + "." if reached else "",
                    "next_steps": f"Next: {upcoming[0]}."
                    if upcoming
                    else "Close-out and handover.",
                    "escalations": spec.get("escalations", "")
                    if latest and rags[0] == "red"
                    else "",
                    "created_by": manager,
                    "submitted_by": None if is_draft else manager,
                    "submitted_at": None
                    if is_draft
                    else at_nine(min(period_end + timedelta(days=3), self.today)),
                }
            )

        # Actual cost at the status date = EV / CPI, spent month by month along the planned
        # curve; after it (this month so far) at the average monthly rate up to it.
        earned = project.budget * final_pct / 100
        actual_total = (earned / cpi).quantize(CENT, ROUND_FLOOR)
        measured = [m for m in months if m <= measured_at]
        spend_points = [min(month_end(m), measured_at, self.today) for m in measured]
        shares, previous = [], Decimal("0")
        for point in spend_points:
            shares.append(max(planned(point) - previous, Decimal("0.5")))
            previous = planned(point)
        share_total = sum(shares)
        monthly = actual_total / max(len(measured), 1)
        for month in months[len(measured) :]:
            point = min(month_end(month), self.today)
            spend_points.append(point)
            shares.append(monthly * point.day / month_end(month).day)
        costs, spent = [], Decimal("0")
        for index, (month, point) in enumerate(zip(months, spend_points, strict=True)):
            if index < len(measured):
                month_total = (actual_total * shares[index] / share_total).quantize(CENT)
            else:
                month_total = shares[index].quantize(CENT)
            mix = [*COST_MIX, (COST_ROTATION[index % len(COST_ROTATION)], Decimal("0.15"))]
            for position, (category, part) in enumerate(mix):
                last = index == len(measured) - 1 and position == len(mix) - 1
                amount = actual_total - spent if last else (month_total * part).quantize(CENT)
                spent += amount
                costs.append(
                    {
                        "date": point,
                        "category": category,
                        "amount": amount,
                        "description": f"{category.title()} {month:%B %Y}",
                        "created_by": manager,
                    }
                )
        return reports, costs

    @staticmethod
    def earlier_rags(latest, index, count):
        """Earlier months: one band better than the latest in the first half of the project."""
        if index >= count // 2:
            return latest
        return [RAG_ORDER[max(0, RAG_ORDER.index(rag) - 1)] for rag in latest]

    def build_gate_criteria(self, portfolio, spec) -> dict[str, list[GateCriterion]]:
        checklist = {}
        extra = GATE_CHECKLIST_EXTRA.get(spec["code"], {})
        for gate, items in GATE_CHECKLIST.items():
            rows = [
                {"name": name, "description": description, "position": position}
                for position, (name, description) in enumerate([*items, *extra.get(gate, [])], 1)
            ]
            sync(GateCriterion, {"portfolio": portfolio, "gate": gate}, ("name",), rows)
            checklist[gate] = list(
                GateCriterion.objects.filter(portfolio=portfolio, gate=gate).order_by("position")
            )
        return checklist

    def build_assessments(self, decision, code, checklist):
        """A go met every criterion (with the board's minutes as evidence) unless
        GATE_EVIDENCE says otherwise; other outcomes met the first one only."""
        exceptions, override = GATE_EVIDENCE.get((code, decision.to_stage), ({}, ""))
        rows = []
        for position, criterion in enumerate(checklist.get(decision.to_stage, []), 1):
            if criterion.name in exceptions:
                status, note = exceptions[criterion.name]
            elif decision.outcome == "go" or position == 1:
                status = "met"
                note = f"Portfolio board, {decision.decided_on:%d %b %Y}: {criterion.description}"
            else:
                status, note = "not_met", ""
            link = (
                f"https://intranet.example.com/pmo/{code.lower()}/{decision.to_stage}"
                if status == "met" and position == 1
                else ""
            )
            rows.append(
                {
                    "criterion": criterion,
                    "criterion_name": criterion.name,
                    "status": status,
                    "evidence": note,
                    "evidence_link": link,
                    "position": position,
                }
            )
        sync(GateCriterionAssessment, {"decision": decision}, ("criterion",), rows)
        unmet = any(row["status"] == "not_met" for row in rows)
        reason = override if decision.outcome == "go" and unmet else ""
        if decision.override_reason != reason:
            decision.override_reason = reason
            decision.save(update_fields=["override_reason"])

    def build_gates(self, spec, checklist):
        """Every stage change past candidate passed a gate (docs/decisions.md 13): the usual
        chain is generated from the project's dates; `gates` in the data adds or overrides.
        Each decision carries its criteria's assessments (build_assessments)."""
        for project_spec in spec["projects"]:
            project = self.projects[project_spec["code"]]
            standard = {  # to stage: (decided on, by, rationale)
                "approved": (
                    project.start_date - timedelta(days=21),
                    "executive",
                    "Business case and scores approved by the portfolio board.",
                ),
                "in_progress": (project.start_date, "pmo", "Baseline, team and funding in place."),
                "closing": (
                    project.end_date - timedelta(days=30),
                    "pmo",
                    "Deliverables accepted; handover to operations.",
                ),
            }
            gates = {}
            for from_stage, to_stage in GATE_CHAINS.get(project.stage, []):
                decided_on, by, rationale = standard[to_stage]
                gates[from_stage, to_stage] = ("go", by, decided_on, rationale, "")
            for code, from_stage, to_stage, outcome, by, days_ago, *text in spec["gates"]:
                if code == project_spec["code"]:
                    decided_on = self.today - timedelta(days=days_ago)
                    gates[from_stage, to_stage] = (outcome, by, decided_on, *text)
            for (from_stage, to_stage), values in gates.items():
                outcome, by, decided_on, rationale, conditions = values
                decision = upsert(
                    GateDecision,
                    {"project": project, "from_stage": from_stage, "to_stage": to_stage},
                    {
                        "outcome": outcome,
                        "decided_by": self.users[by],
                        "decided_on": decided_on,
                        "rationale": rationale,
                        "conditions": conditions,
                    },
                )
                self.build_assessments(decision, project_spec["code"], checklist)

    def build_dependencies(self, spec):
        for pred, succ, kind, deliverable, needed_delta, description, *lag in spec["dependencies"]:
            predecessor = self.projects[pred]
            milestone = predecessor.milestones.filter(name=deliverable).first()
            arrives = milestone.forecast_date if milestone else predecessor.end_date
            upsert(
                ProjectDependency,
                {
                    "predecessor": predecessor,
                    "successor": self.projects[succ],
                    "deliverable": deliverable,
                },
                {
                    "kind": kind,
                    "description": description,
                    "predecessor_milestone": milestone,
                    "needed_by": arrives + timedelta(days=needed_delta),
                    "lag_months": lag[0] if lag else 0,
                },
            )

    def build_risks(self, portfolio, spec):
        # Owned as escalation would own them, so the owner sees them (docs/formulas.md, "Risks").
        owner = risk_selectors.default_portfolio_risk_owner(
            portfolio=portfolio, escalated_by=self.users["pmo"]
        )
        portfolio_risks = {}
        for index, (title, category, p, i, cost, response, status, threatened, plan) in enumerate(
            spec["risks"]
        ):
            risk = upsert(
                Risk,
                {"portfolio": portfolio, "project": None, "title": title},
                {
                    "category": category,
                    "probability": p,
                    "impact": i,
                    "cost_impact": dec(cost),
                    "response": response,
                    "status": status,
                    "response_plan": plan,
                    "owner": owner,
                    "due_date": self.today + timedelta(days=30 + 15 * index),
                },
            )
            risk.threatened_projects.set([self.projects[c] for c in threatened])
            portfolio_risks[title] = risk
        escalations = {(code, title): rest for code, title, *rest in spec["escalations"]}
        overdue = set(spec.get("overdue_risks", ()))
        for code, risks in spec["project_risks"].items():
            project = self.projects[code]
            for index, (title, category, p, i, cost, response, *status) in enumerate(risks):
                values = {
                    "category": category,
                    "probability": p,
                    "impact": i,
                    "cost_impact": dec(cost),
                    "response": response,
                    "status": (status or ["open"])[0],
                    "owner": project.manager,
                    "due_date": self.today
                    + timedelta(days=(-5 if code in overdue else 14) + 10 * index),
                    "closed_at": at_nine(self.today - timedelta(days=30))
                    if status == ["closed"]
                    else None,
                    "escalated_to": None,
                    "escalated_by": None,
                    "escalated_at": None,
                    "escalation_reason": "",
                }
                escalation = escalations.get((code, title))
                if escalation:
                    target, by, days_ago, reason = escalation
                    values.update(
                        status="escalated",
                        escalated_to=portfolio_risks[target],
                        escalated_by=self.users[by],
                        escalated_at=at_nine(self.today - timedelta(days=days_ago)),
                        escalation_reason=reason,
                    )
                upsert(Risk, {"portfolio": portfolio, "project": project, "title": title}, values)

    def build_allocations(self, spec):
        for project_spec in spec["projects"]:
            project = self.projects[project_spec["code"]]
            first = month_start(project.start_date)
            if "hold_from" in project_spec:
                last = add_months(self.today, project_spec["hold_from"] - 1)
            else:
                last = month_start(project.end_date)
            rows = []
            for who, amount, *rest in project_spec.get("team", []):
                status = rest[0] if rest else "confirmed"
                unit = rest[1] if len(rest) > 1 else "fte"
                if who.startswith("role:"):
                    person, role = None, self.roles[who[5:]]
                else:
                    person = self.people[who]
                    role = person.role
                decided = status != "requested"
                rows.append(
                    {
                        "role": role,
                        "resource": person,
                        "start_month": first,
                        "end_month": last,
                        "unit": unit,
                        "amount": dec(amount),
                        "status": status,
                        "requested_by": project.manager,
                        "decided_by": self.users["resource_manager"] if decided else None,
                        "decided_at": at_nine(first - timedelta(days=10)) if decided else None,
                    }
                )
            sync(Allocation, {"project": project}, ("role", "resource"), rows)

    def refresh_health(self):
        """Cache computed health as the health task would (update(): no history rows)."""
        now = at_nine(self.today)
        for project in self.projects.values():
            health = ""
            if project.stage in STARTED_STAGES:
                health = selectors.project_performance(
                    project=project, as_of=self.today
                ).computed_health
            if project.computed_health != health:
                Project.objects.filter(pk=project.pk).update(
                    computed_health=health, health_computed_at=now
                )


def row_counts() -> dict[str, int]:
    """Rows per model of the five Slate apps, plus users."""
    counts = {}
    for label in DEMO_APPS:
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model._default_manager.count()
    counts["auth.User"] = get_user_model().objects.count()
    return counts


def build_demo(today: date | None = None) -> DemoBuilder:
    """Create or refresh the demo data in one transaction; returns the builder."""
    builder = DemoBuilder(today=today or timezone.localdate())  # docs/decisions.md 11
    with transaction.atomic():
        builder.build_users()
        builder.build_resources()
        for spec in PORTFOLIOS:
            builder.build_portfolio(spec)
        builder.refresh_health()
    build_reviews(builder.today)
    build_webhooks()
    return builder


def build_reviews(today: date) -> None:
    """Past reviews, so the demo shows trends: the last six closed months, the last two closed
    quarters and this fiscal year's plan. Subscriptions come after, so seeding sends no mail;
    a review already stored is left as it is (idempotent)."""
    portfolios = list(Portfolio.objects.filter(code__in=[spec["code"] for spec in PORTFOLIOS]))
    for portfolio in portfolios:
        for months_back in range(6, 0, -1):
            period = f"{add_months(today, -months_back):%Y-%m}"
            review_services.run_review(portfolio=portfolio, kind="monthly", period=period)
        for months_back in (6, 3):
            period = add_months(today, -months_back)
            review_services.run_review(portfolio=portfolio, kind="quarterly", period=period)
        review_services.run_review(portfolio=portfolio, kind="annual", period=today)
    users = get_user_model().objects.in_bulk(["pmo", "executive"], field_name="username")
    for portfolio in portfolios:
        for user in users.values():
            for kind in ("monthly", "quarterly", "annual"):
                DigestSubscription.objects.get_or_create(user=user, portfolio=portfolio, kind=kind)


# The finance portfolio's webhooks: hosts under .invalid, which never resolve (RFC 2606), so
# whatever the demo sends fails at once and goes nowhere.
DEMO_WEBHOOK_URL = "https://warehouse.slate.invalid/hooks/slate"
DEMO_PAUSED_WEBHOOK_URL = "https://chat.slate.invalid/hooks/pmo"
# (status, attempts, response code, last error, redelivery of the previous row) per delivery
# of the latest submitted reports, newest first
DEMO_DELIVERIES = [
    (DeliveryStatus.RETRYING, 2, None, "No answer within 5 s.", False),
    (DeliveryStatus.DELIVERED, 1, 200, "", True),
    (DeliveryStatus.DEAD, 6, 503, "HTTP 503: the warehouse is being upgraded", False),
    (DeliveryStatus.DELIVERED, 3, 200, "", False),
    (DeliveryStatus.DELIVERED, 1, 200, "", False),
    (DeliveryStatus.DELIVERED, 1, 204, "", False),
]


def build_webhooks() -> None:
    """Two webhooks of the finance portfolio, one paused, and a delivery log of the active
    one for its latest status reports, as a week of real use leaves it (written as rows: the
    demo's hosts do not exist). Made once; a later run leaves them as they are."""
    portfolio = Portfolio.objects.get(code="finance")
    pmo = get_user_model().objects.get(username="pmo")
    subscription, created = WebhookSubscription.objects.get_or_create(
        portfolio=portfolio, url=DEMO_WEBHOOK_URL,
        defaults={"description": "Finance data warehouse", "events": list(events.EVENTS),
                  "secret": signing.new_secret(), "created_by": pmo},
    )  # fmt: skip
    WebhookSubscription.objects.get_or_create(
        portfolio=portfolio, url=DEMO_PAUSED_WEBHOOK_URL,
        defaults={"description": "PMO chat channel", "is_active": False,
                  "events": [events.GATE_DECIDED, events.WATERMELON_FLAGGED],
                  "secret": signing.new_secret(), "created_by": pmo},
    )  # fmt: skip
    if not created:
        return
    reports = (
        StatusReport.objects.filter(project__portfolio=portfolio, state="submitted")
        .select_related("project", "submitted_by")
        .order_by("-submitted_at", "-pk")
    )
    now = timezone.now()
    previous = None
    for (status, attempts, code, error, again), report in reversed(
        list(zip(DEMO_DELIVERIES, reports, strict=False))
    ):
        event = events.Event(
            name=events.STATUS_REPORT_SUBMITTED, portfolio_id=portfolio.pk,
            data=status_report_data(report), occurred_at=report.submitted_at or now,
        )  # fmt: skip
        occurred = min(event.occurred_at, now - timedelta(minutes=5))
        if status == DeliveryStatus.RETRYING:  # still being tried: a few minutes old
            occurred = now - timedelta(minutes=attempts + 1)
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, portfolio=portfolio, event=event.name,
            event_id=previous.event_id if again else event.id,
            body=previous.body if again else payloads.encode(payloads.envelope(event, portfolio)),
            status=status, attempts=attempts, response_code=code, last_error=error,
            last_attempt_at=occurred + timedelta(minutes=attempts),
            delivered_at=occurred + timedelta(minutes=attempts)
            if status == DeliveryStatus.DELIVERED else None,
            next_attempt_at=now + timedelta(minutes=4) if status == DeliveryStatus.RETRYING
            else None,
            redelivery_of=previous if again else None, requested_by=pmo if again else None,
        )  # fmt: skip
        WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=occurred)
        previous = delivery


def login_table() -> list[tuple[str, str, str]]:
    """(username, role, what they see) for every demo login."""
    rows = []
    for username, _f, _l, _s, memberships, sees in DEMO_LOGINS:
        roles = sorted(set(memberships.values())) or ["project manager (no membership)"]
        rows.append((username, ", ".join(roles), sees))
    led = {}
    for spec in PORTFOLIOS:
        for project in spec["projects"]:
            led.setdefault(project.get("manager"), []).append(project["code"])
    for username, first, last in PROJECT_MANAGERS:
        codes = ", ".join(led.get(username, []))
        rows.append((username, "project manager", f"{first} {last}: manages {codes}"))
    return rows


HIGHLIGHTS = [
    "Watermelon: FIN-CORE reports green every month while its SPI and CPI are red.",
    "Over-allocation: Priya Nair (Integration engineer, HL7/FHIR) at 1.2 FTE on HC-EPR + "
    "HC-TEL; Elena Kowalski at 1.2 FTE if the FIN-CORE request is confirmed.",
    "Late dependencies: FIN-CORE needs 'Data architecture v2' from FIN-DATA, HC-APP needs the "
    "'FHIR patient API' from HC-EPR, both before their forecast.",
    "Escalations: project risks on RET-INV, HC-EPR and FIN-CORE escalated to portfolio risks.",
    "Webhooks: Financial services › Webhooks lists two subscriptions and a delivery log with "
    "a dead delivery sent again.",
]
