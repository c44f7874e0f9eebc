"""Message channels under the reminders outbox: SMS (portal.channels.sms) and WeCom (portal.channels.wecom).

The in-app inbox and e-mail are delivered by portal.services; SMS and WeCom carry only the fixed, non-sensitive
wording of portal.channels.templates, never a reminder's subject or body.
"""
