"""WeCom (企业微信) application messages: a text card with fixed wording and a link back into the portal.

Plain HTTP (urllib) against settings.WECOM_API_BASE (https://qyapi.weixin.qq.com):

- The access token comes from /cgi-bin/gettoken and is cached in the Django cache (Redis) for its expires_in
  minus WECOM_TOKEN_MARGIN_SECONDS (7200 s → refreshed 5 minutes early). Only one process refreshes at a time:
  a lock taken with cache.add (atomic SET NX in Redis, expiring by itself); the others wait for the new
  token instead of asking WeCom too (WeCom limits gettoken calls). With Redis down the token is fetched
  without the cache: slower, never blocking.
- errcode 40014 / 42001 / 40001 (invalid or expired token): the token is dropped, refreshed once and the
  message sent again; a second refusal is transient.
- errcode 45009 (API rate limit) and other "busy" answers, HTTP errors, timeouts (WECOM_TIMEOUT_SECONDS):
  WecomUnavailable, and the outbox retries with backoff.
- "invaliduser" in the answer (the userid is not in the school's WeCom), or another errcode: WecomRejected,
  the reminder fails with the error.

The userid is the person's 学号 or 工号 (portal.channels.preferences.wecom_userid).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.cache import cache

from portal.channels import ChannelRejected, ChannelUnavailable
from portal.channels.templates import Card

logger = logging.getLogger(__name__)

TOKEN_KEY = "wecom:access_token"
LOCK_KEY = "wecom:access_token:lock"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
TRANSIENT_ERRORS = frozenset({-1, 45009, 45033, 45011})  # system busy, API rate limits


class WecomError(Exception):
    """Base of the WeCom failures."""


class WecomUnavailable(WecomError, ChannelUnavailable):
    """WeCom did not take the message now: try again later."""


class WecomRejected(WecomError, ChannelRejected):
    """WeCom will never take this message (unknown user, bad configuration)."""


def _setting(name: str, default):
    return getattr(settings, name, default)


def _timeout() -> float:
    return float(_setting("WECOM_TIMEOUT_SECONDS", 5))


def _call(path: str, *, query: dict, payload: dict | None = None) -> dict:
    """One HTTP call to the WeCom API; the parsed answer. Network trouble is WecomUnavailable."""
    base = _setting("WECOM_API_BASE", "https://qyapi.weixin.qq.com").rstrip("/")
    url = f"{base}{path}?{urlencode(query)}"
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    request = Request(url, data=data, method="GET" if data is None else "POST")  # noqa: S310 - our setting
    if data is not None:
        request.add_header("Content-Type", "application/json; charset=utf-8")
    try:
        with urlopen(request, timeout=_timeout()) as response:  # noqa: S310
            return json.loads(response.read().decode("utf-8"))
    except HTTPError as exc:
        raise WecomUnavailable(f"WeCom HTTP {exc.code}") from exc
    except (URLError, TimeoutError, ConnectionError) as exc:
        raise WecomUnavailable(f"WeCom not reachable: {type(exc).__name__}") from exc
    except ValueError as exc:
        raise WecomUnavailable("WeCom answered something that is not JSON") from exc


# --- the access token ----------------------------------------------------------------------------------


def _fetch_token() -> tuple[str, int]:
    answer = _call(
        "/cgi-bin/gettoken",
        query={"corpid": _setting("WECOM_CORP_ID", ""), "corpsecret": _setting("WECOM_SECRET", "")},
    )
    errcode = int(answer.get("errcode", 0) or 0)
    if errcode in TRANSIENT_ERRORS:
        raise WecomUnavailable(f"WeCom gettoken errcode {errcode}")
    if errcode or not answer.get("access_token"):
        # A wrong corp id or secret does not heal by waiting, but it is fixed by the administrator, not per
        # message: transient, so the messages wait for the fix instead of failing for good.
        raise WecomUnavailable(f"WeCom gettoken errcode {errcode}")
    return answer["access_token"], int(answer.get("expires_in", 7200) or 7200)


def _cache_ttl(expires_in: int) -> int:
    margin = int(_setting("WECOM_TOKEN_MARGIN_SECONDS", 300))
    return max(expires_in - margin, 1) if expires_in > margin else max(expires_in // 2, 1)


def access_token() -> str:
    """The cached access token, or a new one: one refresh at a time across processes."""
    try:
        token = cache.get(TOKEN_KEY)
    except Exception:
        logger.warning("cache unavailable; WeCom token fetched without it")
        return _fetch_token()[0]
    if token:
        return token
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + _timeout() + 2
    while True:
        try:
            locked = cache.add(LOCK_KEY, owner, timeout=int(_timeout()) + 5)
        except Exception:
            return _fetch_token()[0]
        if locked:
            try:
                token = cache.get(TOKEN_KEY)  # someone may have refreshed between our get and our lock
                if token:
                    return token
                token, expires_in = _fetch_token()
                cache.set(TOKEN_KEY, token, timeout=_cache_ttl(expires_in))
                return token
            finally:
                if cache.get(LOCK_KEY) == owner:
                    cache.delete(LOCK_KEY)
        time.sleep(0.05)
        token = cache.get(TOKEN_KEY)
        if token:
            return token
        if time.monotonic() > deadline:  # the refresher died or hangs: the lock expires by itself
            raise WecomUnavailable("WeCom token refresh by another process did not finish")


def drop_token(token: str) -> None:
    """Forget `token` (WeCom said it is invalid), unless another process already replaced it."""
    try:
        if cache.get(TOKEN_KEY) == token:
            cache.delete(TOKEN_KEY)
    except Exception:
        logger.warning("cache unavailable; WeCom token not dropped")


# --- sending ---------------------------------------------------------------------------------------------


def send_card(userid: str, card: Card) -> None:
    """Send a text card to one WeCom user. Raises WecomUnavailable (retry later) or WecomRejected."""
    if not userid:
        raise WecomRejected("no WeCom userid")
    payload = {
        "touser": userid,
        "msgtype": "textcard",
        "agentid": int(_setting("WECOM_AGENT_ID", 0) or 0),
        "textcard": {
            "title": card.title,
            "description": card.description,
            "url": card.url,
            "btntxt": card.btntxt,
        },
    }
    for attempt in (1, 2):
        token = access_token()
        answer = _call("/cgi-bin/message/send", query={"access_token": token}, payload=payload)
        errcode = int(answer.get("errcode", 0) or 0)
        if errcode in TOKEN_ERRORS:
            drop_token(token)
            if attempt == 1:
                continue  # refresh once and send again
            raise WecomUnavailable(f"WeCom refused a fresh token (errcode {errcode})")
        if answer.get("invaliduser"):
            raise WecomRejected(f"WeCom does not know this user (invaliduser; errcode {errcode})")
        if errcode in TRANSIENT_ERRORS:
            raise WecomUnavailable(f"WeCom errcode {errcode}")
        if errcode:
            raise WecomRejected(f"WeCom errcode {errcode}: {str(answer.get('errmsg', ''))[:100]}")
        logger.info("WeCom card sent to …%s", userid[-4:])
        return
