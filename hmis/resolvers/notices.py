"""Publishing a version of the privacy notice: the one function behind both the
`publishPrivacyNotice` mutation and `hmis notice publish FILE --effective DATE`."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hmis.db import models

from .validate import Check

MAX_TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 200_000


def title_of(text: str | None) -> str | None:
    """The document's first heading (Markdown `# ...`), else its first line."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    headings = [line.lstrip("#").strip() for line in lines if line.startswith("#")]
    return (headings or lines or [None])[0]


async def publish_notice(
    session: AsyncSession,
    check: Check,
    *,
    text: str | None,
    effective_date: date | None,
    published_by: str,
    title: str | None = None,
) -> models.PrivacyNotice:
    """Add a notice version taking effect on `effective_date` (today or later: what was in
    force on a past day is never rewritten; one version per date). Never commits."""
    text = check.text("text", text, max_length=MAX_TEXT_LENGTH, required=True)
    title = check.text(
        "title", title or title_of(text), max_length=MAX_TITLE_LENGTH, required=text is not None
    )
    if effective_date is None:
        check.fail("effectiveDate", "`effectiveDate` is required", "REQUIRED")
    check.not_past("effectiveDate", effective_date)
    notice = models.PrivacyNotice
    if effective_date is not None and await session.scalar(
        select(notice.id).where(notice.effective_date == effective_date)
    ):
        check.fail(
            "effectiveDate",
            f"a notice already takes effect on {effective_date}",
            "DUPLICATE_EFFECTIVE_DATE",
        )
    check.done()
    row = notice(
        id=uuid.uuid4(),
        effective_date=effective_date,
        title=title,
        text=text,
        published_at=datetime.now(UTC),
        published_by=published_by,
    )
    session.add(row)
    await session.flush()
    return row
