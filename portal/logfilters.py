"""Keeping personal data out of logs and error reports.

Services never pass sensitive values to a log call (STYLE.md §8). Two things can still carry them, and these
close both:

- `ScrubSensitive`, a logging filter on every handler: database errors quote the row or key that failed
  ("Failing row contains (…, 24000.00, …)", "Key (id_card_index)=(…)"), and a traceback's exception text may
  echo a value. The filter removes those parts and masks anything shaped like an ID-card number.
- `PrivateExceptionReporterFilter` and `PrivateExceptionReporter` (settings.DEFAULT_EXCEPTION_REPORTER_FILTER
  and DEFAULT_EXCEPTION_REPORTER): the 500 e-mail to ADMINS shows no POST or GET values, no query string and no
  frame variables at all, instead of Django's default of hiding only fields named like "password". A form
  that failed may hold a narrative, an income or an ID number. With DEBUG on (development only) Django's
  technical page still shows everything.
"""

from __future__ import annotations

import logging
import re

from django.http import HttpRequest, QueryDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

REDACTED = "[redacted]"
_PATTERNS = [
    # PostgreSQL: DETAIL:  Failing row contains (...).  /  Key (col)=(value) already exists.
    (re.compile(r"Failing row contains \(.*?\)\.?(?=\s*$|\n)", re.MULTILINE), f"Failing row contains {REDACTED}."),
    (re.compile(r"Key \((.*?)\)=\(.*?\)"), rf"Key (\1)=({REDACTED})"),
    # 18-character Chinese ID-card numbers (17 digits and a digit or X), not inside longer digit runs.
    (re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])"), REDACTED),
]


def scrub(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ScrubSensitive(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


class PrivateExceptionReporterFilter(SafeExceptionReporterFilter):
    def get_post_parameters(self, request: HttpRequest | None) -> QueryDict | dict:
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        cleansed = request.POST.copy()
        for key in cleansed:
            cleansed[key] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame) -> list[tuple[str, str]]:
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_request_meta(self, request: HttpRequest) -> dict:
        meta = super().get_safe_request_meta(request)
        # Search forms put names and 学号 in the query string.
        if "QUERY_STRING" in meta:
            meta["QUERY_STRING"] = self.cleansed_substitute
        return meta


class PrivateExceptionReporter(ExceptionReporter):
    """Also hides the query string (GET values and the URL's), which the filter alone cannot reach."""

    def get_traceback_data(self) -> dict:
        data = super().get_traceback_data()
        if self.request is not None and self.filter.is_active(self.request):
            substitute = self.filter.cleansed_substitute
            data["request_GET_items"] = [(key, substitute) for key in self.request.GET]
            if "request_insecure_uri" in data:
                data["request_insecure_uri"] = str(data["request_insecure_uri"]).split("?", 1)[0]
        return data
