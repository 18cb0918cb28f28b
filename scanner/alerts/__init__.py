"""E-mail alerts for deals: rendered and queued with the deal, delivered later as digests."""

from scanner.alerts.outbox import DeliveryReport, count_pending, deliver_pending

__all__ = ["DeliveryReport", "count_pending", "deliver_pending"]
