"""Message channels under the reminders outbox: SMS (portal.channels.sms) and WeCom (portal.channels.wecom).

The in-app inbox and e-mail are delivered by portal.services; SMS and WeCom carry only the fixed, non-sensitive
wording of portal.channels.templates, never a reminder's subject or body. Which channels a person gets is
decided by portal.channels.preferences.
"""


class ChannelUnavailable(Exception):
    """A channel did not take a message now (down, timeout, throttled): the outbox retries with backoff."""


class ChannelRejected(Exception):
    """A channel will never take this message (bad number, unknown user): the outbox fails it at once."""
