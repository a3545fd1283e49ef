import zlib
from contextlib import contextmanager
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models

# (ICP key, default) of each limit; the windows are in minutes.
LIMIT_PARAMS = {
    "ip_max": ("service_desk.tracking_max_failures", 5),
    "ip_window": ("service_desk.tracking_window_minutes", 15),
    "reference_max": ("service_desk.tracking_reference_max_failures", 10),
    "reference_window": ("service_desk.tracking_reference_lock_minutes", 60),
}


class ServiceTrackingAttempt(models.Model):
    """A public tracking search that failed (or is being checked), kept a short time to
    throttle guessing: per client IP, and per job reference whatever the IP.

    Each search first *reserves* a row under an advisory lock of its IP and of its reference,
    in a short transaction of its own committed at once (:meth:`_reserve`); the row is removed
    when the answer turns out right (:meth:`_release`). Concurrent searches of one client thus
    queue on the lock and each sees the failures committed before it: never more than the
    limit are evaluated."""

    _name = "service.tracking.attempt"
    _description = "Failed Public Tracking Search"
    _log_access = False
    _order = "id desc"

    ip = fields.Char(required=True, index=True, readonly=True)
    reference = fields.Char(
        index="btree_not_null", readonly=True, help="The job reference typed, lower case."
    )
    create_date = fields.Datetime(
        required=True, index=True, default=fields.Datetime.now, readonly=True
    )

    @api.model
    def _get_limits(self):
        """The four limits of LIMIT_PARAMS as a dict of positive integers."""
        # sudo: reading non-secret settings.
        ICP = self.env["ir.config_parameter"].sudo()
        limits = {}
        for name, (key, default) in LIMIT_PARAMS.items():
            try:
                limits[name] = max(int(ICP.get_param(key, default)), 1)
            except ValueError:
                limits[name] = default
        return limits

    @api.model
    def _normalize_reference(self, reference):
        return (reference or "").strip().lower()[:64] or None

    @api.model
    def _is_blocked(self, ip, reference=None):
        """True if ``ip`` or ``reference`` has reached its failure limit (read only)."""
        limits = self._get_limits()
        counts = self._count_failures(self.env.cr, ip, self._normalize_reference(reference), limits)
        return counts[0] >= limits["ip_max"] or counts[1] >= limits["reference_max"]

    # ------------------------------------------------------------
    # ATOMIC COUNTER
    # ------------------------------------------------------------

    @contextmanager
    def _counter_cursor(self):
        """A cursor that commits on its own, in READ COMMITTED: after waiting for a lock,
        its next statement sees what the lock holder committed (the request's own transaction
        is REPEATABLE READ, with a snapshot taken before the lock)."""
        if self.env.registry.in_test_mode():
            # HttpCase: every request shares the test transaction, one request at a time
            # (the test cursor's lock); the request's own cursor is already serialized.
            yield self.env.cr
            return
        with self.env.registry.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            yield cr

    @api.model
    def _lock_keys(self, ip, reference):
        """Advisory lock keys of an IP and a reference, sorted (no deadlock between two
        searches taking both)."""
        keys = {zlib.crc32(f"service_desk.tracking.ip:{ip}".encode())}
        if reference:
            keys.add(zlib.crc32(f"service_desk.tracking.ref:{reference}".encode()))
        return sorted(keys)

    @api.model
    def _count_failures(self, cr, ip, reference, limits):
        """(failures of ``ip``, failures of ``reference``) within their windows."""
        now = fields.Datetime.now()
        ip_since = now - timedelta(minutes=limits["ip_window"])
        ref_since = now - timedelta(minutes=limits["reference_window"])
        cr.execute(
            """
            SELECT count(*) FILTER (WHERE ip = %(ip)s AND create_date >= %(ip_since)s),
                   count(*) FILTER (WHERE reference = %(ref)s AND create_date >= %(ref_since)s)
              FROM service_tracking_attempt
             WHERE (ip = %(ip)s AND create_date >= %(ip_since)s)
                OR (reference = %(ref)s AND create_date >= %(ref_since)s)
            """,
            {"ip": ip, "ref": reference, "ip_since": ip_since, "ref_since": ref_since},
        )
        return cr.fetchone()

    @api.model
    def _reserve_with_cursor(self, cr, ip, reference, limits):
        """Lock, count and insert one failure on ``cr`` (its caller commits).

        Returns ``(attempt_id, locks_reference)``: ``attempt_id`` is 0 when ``ip`` or
        ``reference`` is already blocked; ``locks_reference`` is True when this failure is
        the one that locks the reference."""
        for key in self._lock_keys(ip, reference):
            cr.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        ip_count, ref_count = self._count_failures(cr, ip, reference, limits)
        if ip_count >= limits["ip_max"] or ref_count >= limits["reference_max"]:
            return 0, False
        # Raw SQL: this row must be written on ``cr`` (committed before the answer is
        # checked), not in the request's transaction.
        cr.execute(
            "INSERT INTO service_tracking_attempt (ip, reference, create_date) "
            "VALUES (%s, %s, now() at time zone 'UTC') RETURNING id",
            [ip, reference],
        )
        attempt_id = cr.fetchone()[0]
        return attempt_id, bool(reference) and ref_count + 1 >= limits["reference_max"]

    @api.model
    def _reserve(self, ip, reference):
        """Count a failure of ``ip`` and ``reference`` before checking the answer.

        Returns ``(attempt_id, locks_reference)`` as :meth:`_reserve_with_cursor`; call
        :meth:`_release` with the id if the answer was right."""
        limits = self._get_limits()
        with self._counter_cursor() as cr:
            return self._reserve_with_cursor(
                cr, ip[:64], self._normalize_reference(reference), limits
            )

    @api.model
    def _release(self, attempt_id):
        """Forget a reserved failure: the search it counted succeeded."""
        with self._counter_cursor() as cr:
            cr.execute("DELETE FROM service_tracking_attempt WHERE id = %s", [attempt_id])
        self.invalidate_model()

    @api.model
    def _notify_reference_locked(self, reference):
        """Tell the followers of the job with ``reference`` (if any) that its public
        tracking search is locked, with a to-do for its technician."""
        job = self.env["service.job"].search(
            [("name", "=ilike", self._escape_like(reference.strip()))], limit=1
        )
        if not job:
            return
        minutes = self._get_limits()["reference_window"]
        body = Markup("<p>%s</p>") % self.env._(
            "The public tracking search of %(reference)s is locked for %(minutes)s minutes "
            "after too many wrong emails or phone numbers. If the customer did not try, "
            "someone may be guessing: send the customer the direct tracking link instead.",
            reference=job.name,
            minutes=minutes,
        )
        job.message_post(
            body=body,
            # a system notice, not the visitor's (the request runs as the public user)
            author_id=self.env.ref("base.partner_root").id,
            message_type="notification",
            subtype_xmlid="service_desk.mt_service_job_tracking_locked",
        )
        if job.user_id:
            job.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Public tracking locked"),
                note=body,
                user_id=job.user_id.id,
            )

    @api.model
    def _escape_like(self, text):
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    @api.model
    def _gc_attempts(self):
        """Cron: forget failures older than one day (or the longest window, if longer)."""
        limits = self._get_limits()
        window = max(limits["ip_window"], limits["reference_window"], 24 * 60)
        self.search(
            [("create_date", "<", fields.Datetime.now() - timedelta(minutes=window))]
        ).unlink()
