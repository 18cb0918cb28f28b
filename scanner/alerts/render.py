"""What an alert says: one card per deal listing, and one digest e-mail per search and recipient.

Cards are rendered when the deal is found (the figures are those of that moment) and stored on
the notification; the digest only wraps stored cards. Everything that came from a marketplace is
escaped by Jinja2's autoescape, and only http(s) URLs ever reach an `href` or `src`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from models.formatting import confidence_word, marketplace_name, money, one_line, percent, safe_url
from models.tables import DealReason, Notification, Search
from scanner.findings import Finding

SUBJECT_MAX = 300
_TITLE_IN_SUBJECT = 90
_templates = Environment(
    loader=PackageLoader("scanner.alerts", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Alert:
    """The stored form of one deal listing's alert: a subject and a card in text and HTML."""

    subject: str
    text: str
    html: str


def reason_line(search: Search, finding: Finding) -> str:
    """The one line that says why this is a deal."""
    currency = finding.observed.data.currency
    if finding.reason is DealReason.TARGET_PRICE:
        assert search.target_price is not None
        target = money(search.target_price, currency)
        under = search.target_price - finding.total
        line = f"{money(under, currency)} under your target of {target}" if under > 0 else f"at your target of {target}"
        if finding.score is not None and finding.score < 0:  # honest: the target is no bargain
            line += f", {percent(-finding.score)} above market"
        return line
    if finding.reason is DealReason.BELOW_MARKET:
        assert finding.market is not None and finding.score is not None
        market = finding.market
        return (
            f"{percent(finding.score)} under the market price of {money(market.median, currency)}"
            f" ({_listings(market.sample_size)})"
        )
    if finding.reason is DealReason.PRICE_DROP:
        assert finding.drop_from is not None and finding.drop_pct is not None
        was = money(finding.drop_from, currency)
        return f"dropped {percent(finding.drop_pct)} from {was} to {money(finding.total, currency)}"
    return "new listing"


def _listings(count: int) -> str:
    return f"{count} comparable listing{'s' if count != 1 else ''}"


def why_line(finding: Finding) -> str | None:
    """What the market price rests on: how many of which listings, their range, how sure."""
    market = finding.market
    if market is None:
        return None
    currency = finding.observed.data.currency
    examples = "; ".join(
        f"{one_line(other.title)[:60]} {money(other.total, currency)}"
        for other in finding.appraisal.comparables[:3]
        if other.total is not None
    )
    line = (
        f"the median of {_listings(market.sample_size)} of the same product, "
        f"{money(market.low, currency)}–{money(market.high, currency)}, {confidence_word(market.confidence)} confidence"
    )
    return f"{line} (e.g. {examples})" if examples else line


def _short_reason(finding: Finding) -> str:
    if finding.reason is DealReason.TARGET_PRICE:
        return "under your target"
    if finding.reason is DealReason.BELOW_MARKET and finding.score is not None:
        return f"{percent(finding.score)} under market"
    if finding.reason is DealReason.PRICE_DROP and finding.drop_pct is not None:
        return f"dropped {percent(finding.drop_pct)}"
    return "new listing"


def _market_line(finding: Finding) -> str:
    market, currency = finding.market, finding.observed.data.currency
    if market is None:
        return "Market price: not enough data yet"
    line = f"Market price {money(market.median, currency)} ({_listings(market.sample_size)})"
    if finding.score is None or finding.score == 0:
        return f"{line} · at market"
    direction = "under" if finding.score > 0 else "over"
    return f"{line} · {percent(abs(finding.score))} {direction}"


def _shipping_note(shipping: Decimal | None, currency: str | None) -> str | None:
    if shipping is None:
        return None
    return "free shipping" if shipping == 0 else f"incl. {money(shipping, currency)} shipping"


def render_alert(search: Search, findings: Sequence[Finding]) -> Alert:
    """The alert for one listing that is a deal for one or more reasons (all from this scan)."""
    first = findings[0]
    data = first.observed.data
    title = one_line(data.title) or "(untitled listing)"
    total = money(first.total, data.currency)
    context = {
        "title": title,
        "url": safe_url(data.url),
        "image": safe_url(data.image_url),
        "total": total,
        "shipping": _shipping_note(data.shipping, data.currency),
        "reasons": [reason_line(search, finding) for finding in findings],
        "market": _market_line(first),
        "why": why_line(first),
        "marketplace": marketplace_name(first.observed.marketplace),
        "location": one_line(data.location or "") or None,
        "condition": one_line(data.condition or "") or None,
    }
    if len(title) > _TITLE_IN_SUBJECT:
        title = title[: _TITLE_IN_SUBJECT - 1].rstrip() + "…"
    reasons = ", ".join(_short_reason(finding) for finding in findings)
    subject = one_line(f"{search.name}: {title} — {total}, {reasons}")[:SUBJECT_MAX]
    return Alert(
        subject=subject,
        text=_templates.get_template("card.txt").render(context).strip(),
        html=_templates.get_template("card.html").render(context).strip(),
    )


def message_id(notification_ids: Sequence[int], sender: str) -> str:
    """The same notifications always get the same Message-ID, so a resent digest is recognisable."""
    key = "-".join(str(number) for number in notification_ids)
    if len(notification_ids) > 5:
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        key = f"{notification_ids[0]}-{notification_ids[-1]}.{digest}"
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<deal-scout.n{key}@{domain}>"


def build_digest(
    notifications: Sequence[Notification],
    *,
    search_names: Mapping[int, str],
    recipient: str,
    sender: str,
    now: datetime,
) -> EmailMessage:
    """One multipart (text + HTML) e-mail with every pending alert for one recipient.

    A listing is shown once, however many reasons, searches and new lows made it a deal: with the
    newest card of the first search that found it, naming every search that matched it.
    """
    cards: dict[int, Notification] = {}
    matched: dict[int, list[str]] = defaultdict(list)
    for notification in notifications:
        shown_card = cards.get(notification.listing_id)
        if shown_card is None or shown_card.search_id == notification.search_id:
            cards[notification.listing_id] = notification  # the first search's newest card: the latest price
        name = one_line(search_names[notification.search_id])
        if name not in matched[notification.listing_id]:
            matched[notification.listing_id].append(name)
    shown = list(cards.values())
    names = sorted({name for found in matched.values() for name in found})
    every_search = ", ".join(names)
    heading = f"A deal for {every_search}" if len(shown) == 1 else f"{len(shown)} deals for {every_search}"
    subject = shown[0].subject if len(shown) == 1 else heading
    context = {"heading": heading, "search_names": names, "recipient": recipient}
    searches_of = [", ".join(matched[notification.listing_id]) for notification in shown]

    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id([n.id for n in notifications if n.id is not None], sender)
    text_cards = [(n.body_text, found) for n, found in zip(shown, searches_of, strict=True)]
    message.set_content(_templates.get_template("digest.txt").render(context, cards=text_cards))
    message.add_alternative(
        # The cards were rendered with autoescape by `render_alert`; they are trusted HTML here.
        _templates.get_template("digest.html").render(
            context, cards=[(Markup(n.body_html), found) for n, found in zip(shown, searches_of, strict=True)]
        ),
        subtype="html",
    )
    return message
