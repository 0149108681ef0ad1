"""factcheck settings, read from environment variables.

Every setting has a default that works on a laptop with nothing but Python:
SQLite and a file-system Celery broker under ``var/``. Production sets
``DEBUG=false``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` and
``CELERY_BROKER_URL``. README's settings table documents each variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
_INSECURE_DEV_KEY = "django-insecure-local-development-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_DEV_KEY if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "claims",
    "reviews",
    "axes",
]

MIDDLEWARE = [
    "factcheck.observability.RequestContextMiddleware",  # first: its request id and timing cover everything
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # after sessions, before common: the browser's language or the switch's
    "django.middleware.common.CommonMiddleware",
    "factcheck.input.ControlCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "factcheck.languages.PreferredLanguageMiddleware",  # a signed-in person's own choice beats the browser's
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers for a locked-out login
]

# --- Login throttling (django-axes) -------------------------------------------
# Counted per account and per address, in the database (shared by every web process).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "factcheck.security.client_ip"

# --- Content-Security-Policy (django-csp) --------------------------------------
# No inline script anywhere; <style> blocks carry the request's nonce. Style attributes stay
# allowed (rating colours, escaped by the templates). Snapshots send a stricter policy of
# their own, which the middleware leaves in place.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "factcheck" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'factcheck.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file: WAL and immediate
    # transactions keep them from tripping over each other's locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif env.bool("DATABASE_POOL", default=True):
    # A connection pool per process: Celery closes the connection after every task and
    # gunicorn threads come and go; the pool makes both cheap.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 1, "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=40), "timeout": 10}
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Check a connection before use (with the pool: on every checkout), so that a restarted or
    # terminated PostgreSQL backend costs a reconnect, not a 500.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHE_TIMEOUT_SECONDS = env.float("CACHE_TIMEOUT_SECONDS", default=1.0)

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if "redis" in CACHES["default"]["BACKEND"].lower():
    # Short socket timeouts: a hung cache costs a request a second at most (factcheck.cache).
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": CACHE_TIMEOUT_SECONDS, "socket_timeout": CACHE_TIMEOUT_SECONDS}
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- Languages -----------------------------------------------------------------
# The pages, forms, messages and e-mails are translated into these (catalogues in locale/); each is
# named in its own language for the switch. LANGUAGES may narrow the list, never widen it.
SHIPPED_LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "ar": "العربية"}
LANGUAGES = [
    (code, SHIPPED_LANGUAGES[code])
    for code in env.list("LANGUAGES", default=list(SHIPPED_LANGUAGES))
    if code in SHIPPED_LANGUAGES
]
# Served when the browser asks for none of LANGUAGES and nobody chose one.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise environ.ImproperlyConfigured(f"LANGUAGE_CODE {LANGUAGE_CODE!r} must be one of LANGUAGES")
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "factcheck_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "factcheck" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security (production) -------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
SESSION_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# The health check is probed over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Uploads -------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("API_MAX_BODY_BYTES", default=2 * 1024 * 1024)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=10_000)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "claims.api.authentication.ApiKeyAuthentication",
        "claims.api.authentication.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["claims.api.permissions.HasScope"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "claims.api.schema.ProjectAutoSchema",
    "EXCEPTION_HANDLER": "claims.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
# Searches of the public fact-check index (/fact-checks/?q=) per client address.
PUBLIC_SEARCH_RATE = env.str("PUBLIC_SEARCH_RATE", default="30/minute")
if env.bool("BEHIND_PROXY", default=False):
    REST_FRAMEWORK["NUM_PROXIES"] = 1  # rate limits count the client's address, not the proxy's
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "factcheck API",
    "DESCRIPTION": "Claim intake, cited-source preservation and fact-check verdicts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets come from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatusEnum": "claims.choices.ClaimStatus",
        "FetchStatusEnum": "claims.choices.FetchStatus",
        "ArticleStatusEnum": "claims.choices.ArticleStatus",
        "CandidateStatusEnum": "claims.choices.CandidateStatus",
        "MatchKindEnum": "claims.choices.MatchKind",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "claims.api.schema.document_input_rule",
    ],
}

# --- Celery -------------------------------------------------------------------
# "localhost" only spares a kombu warning: the file-system broker has no host.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
CELERY_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A message whose worker died unacknowledged is handed out again after this. Keep it above
    # FETCH_RETRY_MAX_SECONDS: a retry waiting for its countdown is unacknowledged too.
    _VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _VISIBILITY_TIMEOUT,
        # Look for such messages every tenth of the timeout (kombu's default is every 100 s).
        "unacked_restore_interval": max(1, min(60, _VISIBILITY_TIMEOUT // 10)),
        "unacked_restore_throttle": 1,
        # A dead or hung broker must not hold a web request long: see claims.sources.archive.sources_enqueue.
        "socket_connect_timeout": 2,
        "socket_timeout": 3,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
# CPU-bound work (the embedding model) has a queue and a worker of its own (the Procfile's
# ``matcher``), so that it never holds the threads that fetch sources.
MATCHING_QUEUE = "matching"
CELERY_TASK_ROUTES = {
    "claims.tasks.index_claims": {"queue": MATCHING_QUEUE},
    "claims.tasks.match_claims": {"queue": MATCHING_QUEUE},
    "claims.tasks.process_article": {"queue": MATCHING_QUEUE},
}
# Intake must never hang on a dead broker: one quick retry (a pooled connection may be stale after a
# broker restart), then the source is left for the sweep.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Fetching -----------------------------------------------------------------
FETCH_ALLOWLIST = env.list("FETCH_ALLOWLIST", default=[])
FETCH_ALLOWED_PORTS = [int(p) for p in env.list("FETCH_ALLOWED_PORTS", default=["80", "443"])]
FETCH_CONNECT_TIMEOUT = env.float("FETCH_CONNECT_TIMEOUT", default=5.0)
FETCH_READ_TIMEOUT = env.float("FETCH_READ_TIMEOUT", default=10.0)
FETCH_TOTAL_TIMEOUT = env.float("FETCH_TOTAL_TIMEOUT", default=30.0)
FETCH_MAX_BYTES = env.int("FETCH_MAX_BYTES", default=10 * 1024 * 1024)
FETCH_MAX_REDIRECTS = env.int("FETCH_MAX_REDIRECTS", default=5)
FETCH_USER_AGENT = env.str("FETCH_USER_AGENT", default="factcheck/1.0 (source archiver)")
FETCH_CA_BUNDLE = env.str("FETCH_CA_BUNDLE", default="") or None
FETCH_MAX_ATTEMPTS = env.int("FETCH_MAX_ATTEMPTS", default=5)
FETCH_RETRY_BASE_SECONDS = env.float("FETCH_RETRY_BASE_SECONDS", default=10.0)
FETCH_RETRY_MAX_SECONDS = env.float("FETCH_RETRY_MAX_SECONDS", default=600.0)
# A fetch that has not finished this long after it started is presumed dead (worker killed).
FETCH_LEASE_SECONDS = env.float("FETCH_LEASE_SECONDS", default=FETCH_TOTAL_TIMEOUT + 60)
FETCH_SWEEP_SECONDS = env.float("FETCH_SWEEP_SECONDS", default=60.0)
FETCH_RECHECK_DAYS = env.float("FETCH_RECHECK_DAYS", default=7.0)

# --- Claim matching ---------------------------------------------------------------
# Scores are 0–1 (embedding cosine blended with shared words and figures). At or above the
# duplicate threshold an earlier claim is linked as a duplicate; between the two, as similar.
# The defaults were chosen on the dev split of bench/data/retrieval/pairs.jsonl (bench/eval_retrieval.py reports both splits).
MATCH_DUPLICATE_THRESHOLD = env.float("MATCH_DUPLICATE_THRESHOLD", default=0.60)
MATCH_SIMILAR_THRESHOLD = env.float("MATCH_SIMILAR_THRESHOLD", default=0.24)
# Texts with fewer content words than this say too little to be called duplicates below the strict threshold.
MATCH_SHORT_TEXT_WORDS = env.int("MATCH_SHORT_TEXT_WORDS", default=5)
MATCH_SHORT_DUPLICATE_THRESHOLD = env.float("MATCH_SHORT_DUPLICATE_THRESHOLD", default=0.85)
# How many candidates are re-ranked per query: the nearest by meaning (shared among the whole text and its
# sentences), and as many again from the full-text index on PostgreSQL.
MATCH_CANDIDATES = env.int("MATCH_CANDIDATES", default=100)
# Up to this many vectors a matching process searches exactly; above it, an HNSW graph (usearch). On one BLAS
# thread exact search costs 13 ms at 100,000 vectors and 28 ms at 200,000, the graph 16 and 18 ms.
MATCH_INDEX_EXACT_MAX = env.int("MATCH_INDEX_EXACT_MAX", default=100_000)
# HNSW search breadth (usearch's expansion_search): higher finds more of the exact neighbours, slower.
MATCH_INDEX_EXPANSION = env.int("MATCH_INDEX_EXPANSION", default=2048)
# Threads the embedding engine uses per process (0: OpenMP's default, every core). Set 1 when several
# processes share the cores (e.g. gunicorn workers answering /claims/similar/).
MATCH_EMBED_THREADS = env.int("MATCH_EMBED_THREADS", default=0)
# At most this many claims (estimated from PostgreSQL's word statistics) are looked up per query before ranking.
# The dense search already covers every claim; at 1,000,000 claims 2,000 cost 37 ms per query, 500 cost 19 ms.
MATCH_CANDIDATE_ROWS = env.int("MATCH_CANDIDATE_ROWS", default=500)

# The fetch entries expire with their period: after an outage workers run one sweep, not a backlog of them.
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-sources": {
        "task": "claims.tasks.sources_sweep",
        "schedule": FETCH_SWEEP_SECONDS,
        "options": {"expires": max(FETCH_SWEEP_SECONDS, 1.0)},
    },
    "recheck-fetched-sources": {
        "task": "claims.tasks.sources_recheck_due",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
    "sweep-stuck-articles": {
        "task": "claims.tasks.articles_sweep",
        "schedule": FETCH_SWEEP_SECONDS,
        "options": {"expires": max(FETCH_SWEEP_SECONDS, 1.0)},
    },
    "index-unmatched-claims": {
        "task": "claims.tasks.claims_match_sweep",
        "schedule": 300.0,
        "options": {"expires": 300.0},
    },
    "purge-idempotency-records": {"task": "claims.tasks.idempotency_records_purge", "schedule": 86400.0},
    "release-stale-assignments": {"task": "reviews.tasks.assignments_release_stale", "schedule": 600.0},
    "sweep-webhook-deliveries": {
        "task": "reviews.webhook_deliveries_sweep",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "sweep-tip-notifications": {
        "task": "claims.tasks.tip_notifications_sweep",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
    "purge-expired-tip-contacts": {"task": "claims.tasks.tip_contacts_purge", "schedule": 3600.0},
}

# --- Review desk ---------------------------------------------------------------
ASSIGNMENT_TIMEOUT_HOURS = env.float("ASSIGNMENT_TIMEOUT_HOURS", default=48.0)
AUTO_ASSIGN = env.bool("AUTO_ASSIGN", default=False)

# --- Publishing ------------------------------------------------------------------
# Absolute base URL of the public site: canonical links, ClaimReview, feeds, webhooks.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
ORGANIZATION_NAME = env.str("ORGANIZATION_NAME", default="factcheck desk")
ORGANIZATION_URL = env.str("ORGANIZATION_URL", default=SITE_URL)
ORGANIZATION_LOGO_URL = env.str("ORGANIZATION_LOGO_URL", default="")
# Read API rate limits (per client IP for anonymous callers, per key otherwise), counted in the cache.
API_ANON_RATE = env.str("API_ANON_RATE", default="60/minute")
API_KEY_RATE = env.str("API_KEY_RATE", default="1200/minute")
# Browsers on other sites may read the public API.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Failed deliveries are retried with backoff for this long; an endpoint failing this long is disabled.
WEBHOOK_RETRY_HOURS = env.float("WEBHOOK_RETRY_HOURS", default=24.0)

# --- Claims -------------------------------------------------------------------
CLAIM_MAX_SOURCES = env.int("CLAIM_MAX_SOURCES", default=50)
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="factcheck@localhost")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend). A timeout, so that a hung mail
# server cannot hold a worker thread forever (Django's default is none).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)

# --- Readers' tips (claims.tips) ---------------------------------------------------
# Tips per client address (or messaging sender) and for the whole desk, counted in the cache.
TIP_RATE_PER_ADDRESS = env.str("TIP_RATE_PER_ADDRESS", default="30/minute")
TIP_RATE_GLOBAL = env.str("TIP_RATE_GLOBAL", default="600/minute")
# How long a tipster's e-mail address or messaging id is kept; a beat job deletes older ones.
TIP_CONTACT_RETENTION_DAYS = env.int("TIP_CONTACT_RETENTION_DAYS", default=90)
# Telegram bot: /inbound/telegram/ answers 404 while the secret is empty.
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_API_BASE = env.str("TELEGRAM_API_BASE", default="https://api.telegram.org").rstrip("/")
# WhatsApp Business Cloud API: /inbound/whatsapp/ answers 404 while its token or secret is empty.
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default="")
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default="")
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default="")
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_API_BASE = env.str("WHATSAPP_API_BASE", default="https://graph.facebook.com/v21.0").rstrip("/")

# --- Logs and metrics ---------------------------------------------------------------
# LOG_FORMAT=json: one JSON object per line, with the request id, user or API key, claim and task.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "factcheck.observability.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING too (same format, same fields)
# Loaded by every worker at start: the signals that carry the request id into tasks and count them.
# (The web process loads it as the first middleware.)
CELERY_IMPORTS = ("factcheck.observability",)
# Desk analytics (/desk/analytics/, /api/v1/stats/): figures kept this long per filter set and person.
ANALYTICS_CACHE_SECONDS = env.int("ANALYTICS_CACHE_SECONDS", default=60)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")  # /metrics answers 404 while this is empty
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])  # addresses or networks; empty: any
METRICS_DIR = Path(env.str("METRICS_DIR", default=str(VAR_DIR / "metrics")))
