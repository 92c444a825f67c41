"""E-mail: intake from the office mailbox (:mod:`tps_batch.mailin`), receipts and reminders
(:mod:`tps_batch.mailout`). ``tps run`` calls these through this module."""

from __future__ import annotations

from tps_batch.mailin import FetchResult, fetch_mail, mail_in_enabled
from tps_batch.mailout import (
    SendResult,
    mail_out_enabled,
    password,
    send_receipts,
    send_reminders,
)

__all__ = ["FetchResult", "SendResult", "fetch_mail", "mail_in_enabled", "mail_out_enabled",
           "password", "send_receipts", "send_reminders"]
