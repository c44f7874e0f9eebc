"""Nuanxin settings: everything that differs between machines comes from the environment.

See the README's configuration table. With nothing set, a newcomer gets SQLite, a broker that
needs no server (kombu's filesystem transport) and console e-mail: a working demo with nothing installed.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("NUANXIN_TESTING", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Behind a reverse proxy (nginx) that overwrites X-Forwarded-For with the client's address, set this so
# the lockout and the audit trail see the real client instead of the proxy.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "portal.axes_app.AxesConfig",  # django-axes, with its admin in our language (portal/axes_app.py)
    "django_cas_ng",  # its SessionTicket table: which CAS ticket started which session (portal/sso.py)
    "portal",
    "counseling",
    "aid",
    "homevisits",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.RequestIdMiddleware",
    # Cache-Control: private, no-store for signed-in users (after WhiteNoise: static files keep their caching).
    "portal.middleware_cache.PrivateNoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.ViewAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "portal.middleware_sessions.SessionLifetimeMiddleware",
]

# Benchmark instrumentation (scripts/bench.py, `make bench`): a query-count header on every response and a
# bare view at /bench/bare/ (portal/urls.py). Never set on a production server.
BENCH_INSTRUMENTATION = env.bool("NUANXIN_QUERY_COUNT_HEADER", default=False)
if BENCH_INSTRUMENTATION:
    # First, so it also counts the queries of the session, authentication and axes middleware.
    MIDDLEWARE.insert(0, "portal.middleware_bench.QueryCountHeaderMiddleware")

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            "builtins": ["portal.templatetags.access_tags"],
        },
    }
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite is only the demo's embedded database; WAL lets web and worker write side by side.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    # The demo database lacks some PostgreSQL constraint features; production and tests have them.
    SILENCED_SYSTEM_CHECKS = ["models.W047"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.sso.LocalPasswordBackend",  # with CAS on: portal passwords only for local_sign_in accounts
    "django.contrib.auth.backends.ModelBackend",
    "portal.sso.CampusTicketBackend",  # CAS service tickets (portal/sso.py)
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in limits (django-axes, portal/login_limits.py): LOGIN_FAILURES_PER_USER failures for one account from one
# address lock that pair, LOGIN_FAILURES_PER_ADDRESS failures from one address (any user names: password
# spraying) lock the address for every account, each for LOGIN_COOLOFF_MINUTES. Addresses or networks in
# LOGIN_ADDRESS_ALLOWLIST (a campus NAT) are never locked address-wide; the per-account limit applies there too.
LOGIN_FAILURES_PER_USER = env.int("LOGIN_FAILURES_PER_USER", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=30)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
LOGIN_ADDRESS_ALLOWLIST = env.list("LOGIN_ADDRESS_ALLOWLIST", default=[])
if not 0 < LOGIN_FAILURES_PER_USER < LOGIN_FAILURES_PER_ADDRESS or LOGIN_COOLOFF_MINUTES < 1:
    raise environ.ImproperlyConfigured(
        "Need 0 < LOGIN_FAILURES_PER_USER < LOGIN_FAILURES_PER_ADDRESS and LOGIN_COOLOFF_MINUTES >= 1."
    )
for _entry in LOGIN_ADDRESS_ALLOWLIST:  # a typo must stop the start, not every sign-in with a 500
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError as _exc:
        raise environ.ImproperlyConfigured(f"LOGIN_ADDRESS_ALLOWLIST: not an address or network: {_entry!r}") from _exc
AXES_HANDLER = "portal.login_limits.LoginLimitHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_USER
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
# Only the per-account set: the address-wide limit lives in the handler, where a success does not reset it.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client address is REMOTE_ADDR as RequestIdMiddleware left it (the proxy's header when BEHIND_PROXY), so a
# django-ipware installed later cannot start trusting a client-sent X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "portal.login_limits.client_address"
AXES_LOCKOUT_CALLABLE = "portal.login_limits.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Campus sign-in (CAS) ---------------------------------------------------------------------------
# CAS 2.0/3.0 single sign-on (portal/sso.py, docs/sign-in.md). CAS_SERVER_URL empty = off: sign-in as without it.
# CAS_USERNAME_ATTRIBUTE empty = the cas:user is the 学号/工号; otherwise the CAS 3.0 attribute that carries it.
# While CAS is on only accounts marked "local sign-in" (the break-glass admin) may use a portal password, and
# students too if STUDENTS_MAY_USE_LOCAL_PASSWORD. Every call to the CAS server times out after CAS_TIMEOUT_SECONDS
# (connecting: 2 s); the sign-in page's reachability check is remembered for CAS_REACHABILITY_SECONDS.
CAS_SERVER_URL = env.str("CAS_SERVER_URL", default="")
CAS_VERSION = env.str("CAS_VERSION", default="3")
CAS_USERNAME_ATTRIBUTE = env.str("CAS_USERNAME_ATTRIBUTE", default="")
STUDENTS_MAY_USE_LOCAL_PASSWORD = env.bool("STUDENTS_MAY_USE_LOCAL_PASSWORD", default=False)
CAS_TIMEOUT_SECONDS = env.float("CAS_TIMEOUT_SECONDS", default=5.0)
CAS_REACHABILITY_SECONDS = env.int("CAS_REACHABILITY_SECONDS", default=30)
CAS_CREATE_USER = False  # for django-cas-ng's own code: a campus id never creates a portal user
if CAS_VERSION not in ("2", "3") or CAS_TIMEOUT_SECONDS <= 0 or CAS_REACHABILITY_SECONDS < 1:
    raise environ.ImproperlyConfigured(
        "Need CAS_VERSION 2 or 3, CAS_TIMEOUT_SECONDS > 0 and CAS_REACHABILITY_SECONDS >= 1."
    )
if CAS_SERVER_URL and not CAS_SERVER_URL.startswith(("https://", "http://")):
    raise environ.ImproperlyConfigured(f"CAS_SERVER_URL must start with https://: {CAS_SERVER_URL!r}")
if CAS_SERVER_URL:
    LOGOUT_REDIRECT_URL = "sso_logout"  # signing out of the portal signs out of CAS too

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
FORMAT_MODULE_PATH = ["portal.formats"]  # ISO dates first in Chinese: <input type="date"> needs them
LOCALE_PATHS = [BASE_DIR / "locale"]
# A stored code with no label in the user's language raises instead of reaching the page (portal.kernel.display).
DISPLAY_STRICT = env.bool("DISPLAY_STRICT", default=DEBUG or TESTING)
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
# Uploads are private: stored outside the web root and served only through views that check access.
MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private"))
# The one pixel limit of every image upload (portal.kernel.files): a decompression bomb is refused before decoding.
# 60 M lets a 50-megapixel phone photo (8192 × 6144) through; a 20000 × 20000 PNG of one colour is refused.
UPLOAD_MAX_IMAGE_PIXELS = env.int("UPLOAD_MAX_IMAGE_PIXELS", default=60_000_000)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Cache and broker --------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Parallel tests (pytest-xdist): each worker gets a Redis database of its own (2, 4, 6, …; the odd one
# above is its isolated broker, see portal/tests/test_celery_worker.py), as pytest-django gives each a
# PostgreSQL database of its own. Rate counters and queues of one worker never meet another's.
XDIST_WORKER = env.str("PYTEST_XDIST_WORKER", default="") if TESTING else ""
if REDIS_URL and XDIST_WORKER:
    REDIS_URL = urlsplit(REDIS_URL)._replace(path=f"/{2 + 2 * int(XDIST_WORKER.removeprefix('gw'))}").geturl()
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    # Socket timeouts: without them beat, /healthz and .delay() hang on a broker that accepts but never answers.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The demo's broker: messages are files under var/broker, so worker and beat need no server.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Requests never wait for the broker: reminders are outbox rows, and the "kick" that asks a worker to
# dispatch at once uses its own one-try connection (portal.services.kick_dispatcher).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Tasks by their explicit names, "<app>.<area>.<action>" (portal/celery.py), never by module path.
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-reminders": {"task": "portal.reminders.dispatch_due", "schedule": 60.0},
    "escalate-overdue-acknowledgements": {
        "task": "counseling.crisis.escalate_overdue_acknowledgements",
        "schedule": 60.0,
    },
    "remind-overdue-touchpoints": {
        "task": "counseling.crisis.remind_overdue_touchpoints",
        "schedule": crontab(minute=5, hour="8,14"),
    },
    "remind-missing-zero-reports": {
        "task": "counseling.crisis.remind_missing_zero_reports",
        "schedule": crontab(minute=0, hour=9),
    },
    "postvention-remind-overdue-checkins": {
        "task": "counseling.postvention.remind_overdue_checkins",
        "schedule": crontab(minute=35, hour="8,14"),
    },
    "appointments-generate-slots": {
        "task": "counseling.appointments.generate_slots",
        "schedule": crontab(minute=10, hour=2),
    },
    # Ended bookings → awaiting outcome, waitlist offers expire and move on.
    "appointments-sweep": {"task": "counseling.appointments.sweep", "schedule": 300.0},
    # The aid dashboard's whole-school numbers (aid.selectors.dashboard: ROLLUP_REFRESH_SECONDS).
    "aid-dashboard-refresh-rollups": {"task": "aid.dashboard.refresh_rollups", "schedule": 300.0},
    "aid-identification-expire": {
        "task": "aid.identification.expire_ended_years",
        "schedule": crontab(minute=10, hour=1),
    },
    "aid-identification-window": {
        "task": "aid.identification.remind_window",
        "schedule": crontab(minute=0, hour=9),
    },
    "aid-identification-overdue-reviews": {
        "task": "aid.identification.remind_overdue_reviews",
        "schedule": crontab(minute=30, hour=8),
    },
    "aid-identification-notice-ending": {
        "task": "aid.identification.remind_notice_ending",
        "schedule": crontab(minute=0, hour=8),
    },
    "remind-screening-non-completers": {
        "task": "counseling.screening.remind_non_completers",
        "schedule": crontab(minute=30, hour=9),
    },
    "screening-remind-missing-outcomes": {
        "task": "counseling.screening.remind_missing_outcomes",
        "schedule": crontab(minute=40, hour=8),
    },
    "screening-invite-due-retests": {
        "task": "counseling.screening.invite_due_retests",
        "schedule": crontab(minute=50, hour=8),
    },
    "aid-remind-overdue-reviews": {
        "task": "aid.funds.remind_overdue_reviews",
        "schedule": crontab(minute=10, hour=8),
    },
    "aid-remind-unbatched-payments": {
        "task": "aid.funds.remind_unbatched_payments",
        "schedule": crontab(minute=20, hour=8),
    },
    "workstudy-remind-hours-due": {
        "task": "aid.workstudy.remind_hours_due",
        "schedule": crontab(minute=0, hour=9),
    },
    "fiveaid-sync-referral-statuses": {
        "task": "aid.fiveaid.sync_referral_statuses",
        "schedule": crontab(minute=15),
    },
    "remind-upcoming-events": {"task": "counseling.activities.remind_upcoming_events", "schedule": crontab(minute=15)},
    "hiddenaid-pay-due-batches": {
        "task": "aid.hiddenaid.pay_due_batches",
        "schedule": crontab(minute=30, hour=6),
    },
    "homevisits-trip-reminders": {
        "task": "homevisits.trips.send_reminders",
        "schedule": crontab(minute=0, hour=8),
    },
    "homevisits-follow-ups-remind": {
        "task": "homevisits.records.remind_follow_ups_due",
        "schedule": crontab(minute=45, hour=8),
    },
    # Trainees' session notes waiting over 72 h for co-signature: one reminder per note to the supervisor.
    "session-notes-remind-overdue-cosign": {
        "task": "counseling.session_notes.remind_overdue_cosign",
        "schedule": crontab(minute=25),
    },
    "appointments-send-agendas": {
        "task": "counseling.appointments.send_agendas",
        "schedule": crontab(minute=30, hour=7),
    },
    # Archive old closed cases, delete expired drafts (portal.retention; `manage.py apply_retention`).
    "apply-retention": {"task": "portal.retention.apply", "schedule": crontab(minute=40, hour=3)},
}

# --- E-mail and SMS ----------------------------------------------------------------------------
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_email_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    "file_path": _email.get("EMAIL_FILE_PATH"),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {k: v for k, v in _email_options.items() if v not in (None, "")}
        | ({"timeout": 10} if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend") else {}),
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="nuanxin@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# SMS (portal/channels/sms.py, docs/messaging.md). SMS_GATEWAY: "log" (default: logs that a message would go out;
# the outbox then schedules no SMS reminders), "locmem" (tests) or "aliyun" (dysms SendSms). SMS_TEMPLATE_CODES maps
# the portal's template keys to the provider's codes: "verification_code=SMS_1,crisis_alert=SMS_2,...".
# SMS_DAILY_LIMIT_PER_PHONE per number and day (Redis), crisis alerts exempt. SMS_BACKEND: the older setting, a
# dotted path of a callable (phone, text); still called (with the fixed wording) while SMS_GATEWAY is "log".
SMS_GATEWAY = env.str("SMS_GATEWAY", default="log")
SMS_BACKEND = env.str("SMS_BACKEND", default="portal.sms.log_only")
SMS_ALIYUN_ACCESS_KEY_ID = env.str("SMS_ALIYUN_ACCESS_KEY_ID", default="")
SMS_ALIYUN_ACCESS_KEY_SECRET = env.str("SMS_ALIYUN_ACCESS_KEY_SECRET", default="")
SMS_ALIYUN_ENDPOINT = env.str("SMS_ALIYUN_ENDPOINT", default="https://dysmsapi.aliyuncs.com")
SMS_SIGN_NAME = env.str("SMS_SIGN_NAME", default="暖心")
SMS_TEMPLATE_CODES = env.dict("SMS_TEMPLATE_CODES", default={})
SMS_DAILY_LIMIT_PER_PHONE = env.int("SMS_DAILY_LIMIT_PER_PHONE", default=10)
SMS_TIMEOUT_SECONDS = env.float("SMS_TIMEOUT_SECONDS", default=5.0)
if SMS_GATEWAY not in ("log", "locmem", "aliyun"):
    raise environ.ImproperlyConfigured(f"SMS_GATEWAY must be log, locmem or aliyun: {SMS_GATEWAY!r}")
# WeCom (企业微信) application messages (portal/channels/wecom.py). Empty corp id, agent id or secret = WeCom off.
WECOM_API_BASE = env.str("WECOM_API_BASE", default="https://qyapi.weixin.qq.com")
WECOM_CORP_ID = env.str("WECOM_CORP_ID", default="")
WECOM_AGENT_ID = env.str("WECOM_AGENT_ID", default="")
WECOM_SECRET = env.str("WECOM_SECRET", default="")
WECOM_TIMEOUT_SECONDS = env.float("WECOM_TIMEOUT_SECONDS", default=5.0)
WECOM_TOKEN_MARGIN_SECONDS = env.int("WECOM_TOKEN_MARGIN_SECONDS", default=300)

# --- Account activation and reset by phone code ---------------------------------------------------
# Self-service activation (学号 + last 6 of the ID-card number + an SMS code) and password reset (学号/工号 + an
# SMS code) in portal/activation.py; docs/activation.md. Codes live ACCOUNT_CODE_TTL_MINUTES and die after
# ACCOUNT_CODE_MAX_ATTEMPTS wrong tries. Sent codes per number: at most 1 per ACCOUNT_CODE_NUMBER_INTERVAL_SECONDS,
# ACCOUNT_CODES_PER_NUMBER_HOUR an hour, ACCOUNT_CODES_PER_NUMBER_DAY a day (silent: the answer never tells).
# Requests per address an hour, matched or not: ACCOUNT_CODES_PER_ADDRESS_HOUR (LOGIN_ADDRESS_ALLOWLIST
# addresses, a campus NAT: ACCOUNT_CODES_PER_ALLOWLISTED_ADDRESS_HOUR). Every code request answers no sooner than
# ACCOUNT_CODE_MIN_RESPONSE_SECONDS, so the SMS gateway's delay does not tell a match from a non-match.
# ACCOUNT_RESET_FOR_STAFF: staff (not Django-admin accounts) may reset by a code to the phone on their record.
ACCOUNT_CODE_TTL_MINUTES = env.int("ACCOUNT_CODE_TTL_MINUTES", default=10)
ACCOUNT_CODE_MAX_ATTEMPTS = env.int("ACCOUNT_CODE_MAX_ATTEMPTS", default=5)
ACCOUNT_CODE_NUMBER_INTERVAL_SECONDS = env.int("ACCOUNT_CODE_NUMBER_INTERVAL_SECONDS", default=60)
ACCOUNT_CODES_PER_NUMBER_HOUR = env.int("ACCOUNT_CODES_PER_NUMBER_HOUR", default=5)
ACCOUNT_CODES_PER_NUMBER_DAY = env.int("ACCOUNT_CODES_PER_NUMBER_DAY", default=10)
ACCOUNT_CODES_PER_ADDRESS_HOUR = env.int("ACCOUNT_CODES_PER_ADDRESS_HOUR", default=20)
ACCOUNT_CODES_PER_ALLOWLISTED_ADDRESS_HOUR = env.int("ACCOUNT_CODES_PER_ALLOWLISTED_ADDRESS_HOUR", default=300)
ACCOUNT_CODE_MIN_RESPONSE_SECONDS = env.float("ACCOUNT_CODE_MIN_RESPONSE_SECONDS", default=0.0 if TESTING else 1.5)
ACCOUNT_RESET_FOR_STAFF = env.bool("ACCOUNT_RESET_FOR_STAFF", default=True)
if min(ACCOUNT_CODE_TTL_MINUTES, ACCOUNT_CODE_MAX_ATTEMPTS, ACCOUNT_CODES_PER_ADDRESS_HOUR) < 1:
    raise environ.ImproperlyConfigured(
        "Need ACCOUNT_CODE_TTL_MINUTES, ACCOUNT_CODE_MAX_ATTEMPTS and ACCOUNT_CODES_PER_ADDRESS_HOUR >= 1."
    )

# --- Field encryption ----------------------------------------------------------------------------
# A list of Fernet keys, newest first. Rotate: put a new key first, run `manage.py reencrypt_fields`,
# then drop the old key.
_dev_key = "ZGV2LW9ubHktbnVhbnhpbi1rZXktMDEyMzQ1Njc4OWE="
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[_dev_key] if DEBUG or TESTING else [])
# Key of the keyed hashes used to find equal values (ID numbers) without decrypting. Never rotate it
# without rebuilding the indexes; by default derived from SECRET_KEY.
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="")
if not FIELD_ENCRYPTION_KEYS:
    raise environ.ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS (see README) when DEBUG is off.")

# --- Portal settings -------------------------------------------------------------------------------
CENTRE_DUTY_PHONE = env.str("CENTRE_DUTY_PHONE", default="027-8000-1234")
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="nuanxin-demo")
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=8)

# --- From screening to care (docs/screening-to-care.md) ------------------------------------------------
# A campaign's positive screen with no interview outcome is reminded to the college station after this many
# days, then to the centre; a "follow-up" outcome schedules a retest this many weeks later.
SCREENING_OUTCOME_REMIND_STATION_DAYS = env.int("SCREENING_OUTCOME_REMIND_STATION_DAYS", default=7)
SCREENING_OUTCOME_REMIND_CENTRE_DAYS = env.int("SCREENING_OUTCOME_REMIND_CENTRE_DAYS", default=14)
SCREENING_RETEST_WEEKS = env.int("SCREENING_RETEST_WEEKS", default=4)
if not 1 <= SCREENING_OUTCOME_REMIND_STATION_DAYS <= SCREENING_OUTCOME_REMIND_CENTRE_DAYS or SCREENING_RETEST_WEEKS < 1:
    raise environ.ImproperlyConfigured(
        "Need 1 <= SCREENING_OUTCOME_REMIND_STATION_DAYS <= SCREENING_OUTCOME_REMIND_CENTRE_DAYS and "
        "SCREENING_RETEST_WEEKS >= 1."
    )

# --- Security ----------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Sessions: staff are signed out after 30 idle minutes and 12 hours in all, students after 14 idle days and
# 30 days in all (portal.middleware_sessions, checked on the server). This is only the cookie's ceiling.
SESSION_COOKIE_AGE = 30 * 24 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Forms ---------------------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Logging: never log request bodies; sensitive values never reach a log call. ---------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Database errors quote the failing row; the filter removes it and masks ID-card numbers.
    "filters": {"scrub": {"()": "portal.logfilters.ScrubSensitive"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # At DEBUG this logs every SQL statement with its parameters (incomes, searches): never in production.
        "django.db.backends": {"level": "WARNING"},
        # pypdf warns about every file it has to repair while portal.kernel.files inspects it; the upload's own
        # answer (accepted or refused with a reason) is what matters.
        "pypdf": {"level": "ERROR"},
    },
}
# 500 reports (e-mail to ADMINS) carry no POST/GET values, query string nor frame variables: a form that
# failed may hold a narrative, an income or an ID number (portal.logfilters).
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.logfilters.PrivateExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "portal.logfilters.PrivateExceptionReporter"

# Absolute address of the portal, for links in e-mails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
