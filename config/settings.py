"""Slate settings, read from the environment (django-environ).

Unset variables fall back to the embedded default: SQLite under var/, Celery eager,
console email, DEBUG on. Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL and REDIS_URL (see docker-compose.yml).
"""

import os
from datetime import date, timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# The fallback key only ever serves DEBUG runs; production refuses to start without one.
SECRET_KEY = env("SECRET_KEY", default="") or (
    "insecure-development-key-only-for-debug" if DEBUG else None
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's and Redoc's files, served from static/
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "core",
    "access_tokens",
    "portfolio",
    "projects",
    "resources",
    "risks",
    "reporting",
    "webhooks",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    # Last, as django-axes requires: it turns a lockout raised by authenticate() into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'slate.sqlite3'}"),
}
# Persistent connections on PostgreSQL: a gunicorn worker keeps its connection for
# CONN_MAX_AGE seconds instead of opening one per request (~5–10 ms of TCP, authentication
# and backend start each), and checks it still answers before reusing it after a request
# (CONN_HEALTH_CHECKS), so a restarted database costs one failed check, not an error page.
# SQLite opens a file, which costs nothing: 0 there unless set.
_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if _POSTGRES else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if _POSTGRES:
    # Dashboard queries are many short correlated lookups: PostgreSQL's JIT spends more time
    # compiling them (~100 ms each at 10,000 projects) than they take to run.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # A file, not memory, so a Celery worker process can open the test database too;
    # one per test process so parallel runs do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes sees every authenticate() call first, and refuses it while the user is locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reporting:home"  # each role lands on its own page
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# static/plotly/plotly.min.js is Plotly.js's cartesian partial bundle, the version the Python
# library bundles (static/plotly/README.md): the charts never load anything from a CDN.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# Hashed names served with a year's `immutable` caching, brotli and gzip (core/staticfiles.py),
# from the files `collectstatic` wrote: production (DEBUG off) and `make demo` (which runs
# collectstatic and sets STATIC_HASHED=1). Off, static/ is served as it is, fresh on every
# request: development and the tests, which need no collectstatic.
STATIC_HASHED = env.bool("STATIC_HASHED", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "core.staticfiles.HashedStaticFilesStorage"
        if STATIC_HASHED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if STATIC_HASHED:
    # Serve what collectstatic wrote, indexed once at start, even under DEBUG.
    WHITENOISE_USE_FINDERS = False
    WHITENOISE_AUTOREFRESH = False
    # Pages name only hashed files; not writing unhashed copies halves collectstatic's work.
    WHITENOISE_KEEP_ONLY_HASHED_FILES = True

# Security: strict by default when DEBUG is off, so `check --deploy` is clean.
# Only a proxy in front of Slate may say the request came over HTTPS (and who sent it): without
# one, any client could send X-Forwarded-Proto or X-Forwarded-For itself.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Authentication hardening ------------------------------------------------------------------
# A session lasts SESSION_COOKIE_AGE seconds from login (a working day by default).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins a username is refused,
# and so is the address they came from, until the cool-off passes or an admin deletes the
# access attempt (admin › Axes › Access attempts). A login that succeeds clears its failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "core.middleware.client_ip"

# Content-Security-Policy (django-csp): scripts only from Slate itself, no inline script, no
# eval; the charts boot from static/js/slate.js. Styles allow 'unsafe-inline' because Plotly.js
# writes style attributes and <style> rules as it draws, and the templates use style="".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# What the browser may let a page use: none of these features (core.middleware).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# Email
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if not env("EMAIL_HOST", default="")
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))  # file backend only
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Slate <slate@localhost>")
# Where Slate is reached from outside (scheme and host, any trailing slash ignored): digests
# are read in a mail client, so every link in them is absolute, on this address. The default
# is `make demo`'s runserver address.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Celery: Redis when REDIS_URL is set; otherwise tasks run eagerly in-process.
REDIS_URL = env("REDIS_URL", default="")
# The KPI cache (`reporting.kpi_cache`, PostgreSQL only): entries keyed by the data's version,
# shared by every web process through Redis (KPI_CACHE_URL, default REDIS_URL), else kept per
# process. KPI_CACHE=0 turns it off. An entry lives at most KPI_CACHE_SECONDS: a key names the
# day, so yesterday's entries are never read again, and this bounds what they hold in memory.
KPI_CACHE = env.bool("KPI_CACHE", default=True)
KPI_CACHE_URL = env("KPI_CACHE_URL", default=REDIS_URL)
THROTTLE_CACHE_URL = env("THROTTLE_CACHE_URL", default="")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The API's rate limits: in Redis at THROTTLE_CACHE_URL, so every web process shares a
    # token's and a user's budget (docker-compose sets it); per process otherwise.
    "throttle": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": THROTTLE_CACHE_URL,
        "KEY_PREFIX": "slate-throttle",
    }
    if THROTTLE_CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"},
    "kpis": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": KPI_CACHE_URL,
        "KEY_PREFIX": "slate-kpis",
        "TIMEOUT": env.int("KPI_CACHE_SECONDS", default=3600),
    }
    if KPI_CACHE_URL
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "slate-kpis",
        "TIMEOUT": env.int("KPI_CACHE_SECONDS", default=3600),
        "OPTIONS": {"MAX_ENTRIES": 100},  # about 1 MB each at 1,000 projects
    },
}
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose worker died is redelivered once this many seconds have passed unacknowledged.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

REST_FRAMEWORK = {
    # A personal access token (`Authorization: Bearer <token>`, access_tokens/) for scripts and
    # other tools, and the browser's session, with its CSRF check, for the pages. No Basic auth
    # (a password on every request, and a way around the login throttle). A token acts as its
    # owner: the same visibility and permission checks apply, and a read-only token may only
    # read. The token scheme comes first, so a request without credentials gets a 401 naming it.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access_tokens.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # One budget per token and one per user (the session and all the user's tokens together),
    # counted in the default cache; over it, 429 with Retry-After. An empty rate is no limit.
    "DEFAULT_THROTTLE_CLASSES": [
        "access_tokens.throttles.AccessTokenRateThrottle",
        "access_tokens.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "access_token": env("API_THROTTLE_TOKEN_RATE", default="3000/hour") or None,
        "user": env("API_THROTTLE_USER_RATE", default="6000/hour") or None,
    },
    # JSON bodies only: a form body cannot carry the types the schema declares (`0` for a
    # boolean reads as false); an upload endpoint sets its own parsers. APIClient sends JSON.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["core.api.StrictFilterBackend"],
    # drf-spectacular's, plus the error responses every operation can answer (core/openapi.py)
    # and the If-Match / Idempotency-Key headers and 412 / 428 / 422 answers of the viewsets
    # using core.http_concurrency's mixins.
    "DEFAULT_SCHEMA_CLASS": "core.http_concurrency.HttpConcurrencyAutoSchema",
}
# The schema is served as JSON/YAML from /api/schema/, and read in Swagger UI (/api/docs/) and
# Redoc (/api/redoc/), whose files drf-spectacular-sidecar ships: nothing from a CDN.
SPECTACULAR_SETTINGS = {
    "TITLE": "Slate API",
    "VERSION": "1.0",
    "DESCRIPTION": (
        "Authenticate with a personal access token (`Authorization: Bearer <token>`, created "
        "on the Access tokens page) or, in the browser, the login session."
    ),
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from the public validator service (an image from another site).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # The six RAG fields of a status report share one choice set: one enum, not six.
    # Choice sets shared by several fields, or fields of one name with different choices
    # (status, stage, kind), each get one enum, named for what they are.
    "ENUM_NAME_OVERRIDES": {
        "RagEnum": "projects.models.Rag",
        "StageEnum": "projects.querysets.Stage",
        "RiskStatusEnum": "risks.models.RiskStatus",
        "MilestoneStatusEnum": "projects.models.MilestoneStatus",
        "CandidateStageEnum": "portfolio.api.candidates.CANDIDATE_STAGES",
        "GateStageEnum": "portfolio.models.GATE_STAGES",
        "AllocationStatusEnum": "resources.models.AllocationStatus",
        "AssessmentStatusEnum": "portfolio.models.CriterionStatus",
        "ReviewStatusEnum": "reporting.models.ReviewStatus",
        "ReviewKindEnum": "reporting.models.ReviewKind",
        "LeaveKindEnum": "resources.models.AdjustmentKind",
        "DependencyKindEnum": "projects.models.DependencyKind",
    },
    # The outbound webhooks (docs/webhooks.md) are documented in the schema's `webhooks`
    # section, which OpenAPI 3.1 introduced.
    "OAS_VERSION": "3.1.0",
    # … where `nullable: true` means nothing: type lists instead (core/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.nullable_to_type_list",
    ],
    "WEBHOOKS": [
        f"webhooks.openapi.{name}"
        for name in (
            "STATUS_REPORT_SUBMITTED",
            "HEALTH_CHANGED",
            "WATERMELON_FLAGGED",
            "GATE_DECIDED",
            "SCENARIO_COMMITTED",
            "REVIEW_COMPLETED",
            "ALLOCATION_CONFLICT",
        )
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # In-process (eager) tasks would log every task run into the web or command output.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}

# Slate's own knobs
SLATE_PAGE_SIZE = env.int("SLATE_PAGE_SIZE", default=25)
# Every date or month that enters Slate must fall in this window (core/bounds.py).
SLATE_DATE_MIN = date.fromisoformat(env("SLATE_DATE_MIN", default="1990-01-01"))
SLATE_DATE_MAX = date.fromisoformat(env("SLATE_DATE_MAX", default="2100-12-31"))
# How long the API remembers a create's Idempotency-Key (core.http_concurrency): a retry
# with the same key within this many hours returns the first response and creates nothing.
SLATE_IDEMPOTENCY_KEY_HOURS = env.int("SLATE_IDEMPOTENCY_KEY_HOURS", default=24)
# Outbound webhooks (webhooks/, docs/webhooks.md): each POST waits at most this long to
# connect and for each read; a failed delivery is retried after BACKOFF × 2^(attempt − 1)
# seconds and is dead after MAX_ATTEMPTS attempts.
SLATE_WEBHOOK_TIMEOUT_SECONDS = env.float("SLATE_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
SLATE_WEBHOOK_MAX_ATTEMPTS = env.int("SLATE_WEBHOOK_MAX_ATTEMPTS", default=6)
SLATE_WEBHOOK_BACKOFF_SECONDS = env.float("SLATE_WEBHOOK_BACKOFF_SECONDS", default=60.0)
# Whether webhooks may go to loopback, private and other non-public addresses. Off in
# production: a subscription must not make the server call its own network (SSRF).
SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=DEBUG
)
if SLATE_WEBHOOK_MAX_ATTEMPTS < 1:
    raise environ.ImproperlyConfigured("SLATE_WEBHOOK_MAX_ATTEMPTS must be at least 1")
# The MIP solver of optimised selection and the efficient frontier (portfolio/selection/
# solvers.py): "highs" (highspy, the default) or "cbc" (bundled with PuLP).
SLATE_MIP_SOLVER = env("SLATE_MIP_SOLVER", default="highs").strip().lower()
if SLATE_MIP_SOLVER not in ("highs", "cbc"):
    raise environ.ImproperlyConfigured("SLATE_MIP_SOLVER must be 'highs' or 'cbc'")
# Plan files other than MS Project XML are read by MPXJ in a JVM in the Celery worker
# (projects/imports/jvm.py), one per worker process: the most heap each JVM may take.
SLATE_MPXJ_MAX_HEAP = env("SLATE_MPXJ_MAX_HEAP", default="512m")
