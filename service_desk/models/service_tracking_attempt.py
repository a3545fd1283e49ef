from datetime import timedelta

from odoo import api, fields, models


class ServiceTrackingAttempt(models.Model):
    """A failed public tracking search, kept a short time to throttle guessing per client IP."""

    _name = "service.tracking.attempt"
    _description = "Failed Public Tracking Search"
    _log_access = False

    ip = fields.Char(required=True, index=True)
    create_date = fields.Datetime(
        required=True, index=True, default=fields.Datetime.now, readonly=True
    )

    @api.model
    def _get_limits(self):
        ICP = self.env["ir.config_parameter"].sudo()
        max_failures = int(ICP.get_param("service_desk.tracking_max_failures", 5))
        window = int(ICP.get_param("service_desk.tracking_window_minutes", 15))
        return max_failures, window

    @api.model
    def _is_blocked(self, ip):
        max_failures, window = self._get_limits()
        since = fields.Datetime.now() - timedelta(minutes=window)
        return self.search_count([("ip", "=", ip), ("create_date", ">=", since)]) >= max_failures

    @api.model
    def _register_failure(self, ip):
        return self.create({"ip": ip})

    @api.model
    def _gc_attempts(self):
        """Cron: forget failures older than one day (or the window, if longer)."""
        _max_failures, window = self._get_limits()
        limit = fields.Datetime.now() - timedelta(minutes=max(window, 24 * 60))
        self.search([("create_date", "<", limit)]).unlink()
