import csv
import hashlib
import io
import json
import logging
import math
import resource
import time
import traceback
import weakref
from datetime import timedelta

import psutil
from markupsafe import escape

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.service.server import memory_info
from odoo.tools import SQL, config, format_date

from ..tools.planner import planner_settings

_logger = logging.getLogger(__name__)

# Risk formula (documented in readme/DESCRIPTION.md):
#   risk = min(100, round(weight * (25 * min(ratio, 3) + min(25, 5 * log10(1 + amount)))))
# ratio = floor(age / threshold) for timed checks, the thresholds crossed (1 when the
# threshold is 0): whole steps, so a finding's risk changes when it crosses one, not
# every night; checks can return their own ratio (expiring quotations, overdue
# invoices, incomplete data, duplicate groups).
RATIO_CAP = 3.0

# work_mem of the scan's transaction (see CrmGuardianScan._scan)
SCAN_WORK_MEM = "128MB"

# Statistics of the merge's temporary table: its size and its key, all the merge joins
# on (the other columns' statistics cost more than the join they would plan)
ANALYZE_SCAN_ROWS = "ANALYZE crm_guardian_scan_rows (key)"

# Planner settings of the merge's statements (see _sync_findings): a unit's rows join
# the findings of its range, which the (check, res_id) index finds; a merge join on the
# findings' unique key instead read that whole index (2.4 million entries at a million
# leads: 0.9 s per unit where a hash join takes 0.07 s), estimated cheaper because the
# rows' keys span a narrow range of it
SYNC_SETTINGS = {"enable_mergejoin": "off"}

# Findings written by a scan above which it refreshes the table's statistics
ANALYZE_AFTER_WRITES = 10000

# Advisory lock keys: the scan's units of work (one transaction at a time), and the
# start of a run (check for a running one, then create)
SCAN_LOCK = 0x43475363616E  # "CGScan"
SCAN_START_LOCK = 0x434753746172  # "CGStar"

# Source records of the first unit of work of a check (system parameter
# crm_guardian.scan_chunk_size); the next units adapt to last one's speed, aiming at
# UNIT_TARGET_S seconds, between MIN_CHUNK and MAX_CHUNK records
DEFAULT_CHUNK = 20000
UNIT_TARGET_S = 4.0
MIN_CHUNK = 1000
MAX_CHUNK = 200000

# A running scan this old is interrupted by the next scheduled call, which starts anew
RUN_MAX_AGE = timedelta(hours=20)

# A cron worker pings its watchdog, then sleeps up to 60 + 9 s before running its jobs
# (odoo/service/server.py, WorkerCron.sleep): the jobs get the real-time limit less this
CRON_SLEEP_MAX = 70
# Share of that window (and of the CPU time left) that the calls of one job may use: the
# rest is the margin for the unit in flight when it runs out
BUDGET_SHARE = 0.5
# ... and of the soft memory limit a worker may reach before a call stops
MEMORY_SHARE = 0.5
# Without any real-time limit, a call stops after this many seconds all the same
UNLIMITED_CALL_S = 300

# Safety margin of an incremental rescan (see CrmGuardianScan._scan_since)
INCREMENTAL_MARGIN = timedelta(hours=1)
# Checks whose threshold does not count days (duplicates) stay incremental from one day
# to the next, with a full pass at least this often: the safety net of changes written
# without write_date (imports in SQL), as the nightly full pass of the timed checks
FULL_PASS_EVERY = timedelta(days=7)

# Finding columns every check fills (the rest: check-specific, or defaults)
SCANNED_FIELDS = (
    "name",
    "check",
    "section",
    "res_model",
    "res_id",
    "rule_id",
    "partner_id",
    "user_id",
    "team_id",
    "company_id",
    "reference_date",
    "threshold",
    "amount",
    "risk_score",
    "high_risk",
    "reason_params",
    "severity_level",
)
# risk score from which a finding counts as high risk (dashboard cards, filter)
HIGH_RISK = 50
# ... and as medium risk (the risk badges: high, medium, low)
MEDIUM_RISK = 25

# Start of the time window of a cron job's calls in this worker, by job cursor (the
# calls of one job share it: see ScanBudget)
_WINDOWS = weakref.WeakKeyDictionary()


class ScanBudget:
    """What one call of the scan may use of the worker's limits, checked before each unit.

    Odoo runs up to 10 calls of a job back to back in one cron worker, all under the
    watchdog pinged before the worker slept: the job's real time is the limit
    (``limit_time_real_cron``, else ``limit_time_real``) less ``CRON_SLEEP_MAX``, counted
    from the job's first call (same cursor). Calls stop once ``BUDGET_SHARE`` of that
    window is spent, or of the CPU time left under ``RLIMIT_CPU`` (set per unit of work
    of the worker), or when the worker's memory passes ``MEMORY_SHARE`` of the soft
    limit; the rest is the margin for the unit in flight. Outside a cron worker's job
    (a shell, tests) the window starts with the call. ``max_units`` caps the units.
    """

    def __init__(self, cr, cron=False, max_units=None):
        now = self.call_start = time.monotonic()
        self.cpu_start = self._cpu_used()
        start = _WINDOWS.setdefault(cr, now) if cron else now
        limit = self._real_limit()
        window = max(limit * 0.1, limit - CRON_SLEEP_MAX) * BUDGET_SHARE if limit else None
        self.real_deadline = start + (window or UNLIMITED_CALL_S)
        self.cpu_deadline = self._cpu_deadline()
        soft = config["limit_memory_soft"]
        self.memory_limit = soft * MEMORY_SHARE if soft else None
        self.max_units = max_units

    @staticmethod
    def _real_limit():
        cron_limit = config["limit_time_real_cron"]
        if cron_limit and cron_limit > 0:
            return cron_limit
        return config["limit_time_real"] if config["limit_time_real"] > 0 else None

    @staticmethod
    def _cpu_used():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def _cpu_deadline(self):
        soft, _hard = resource.getrlimit(resource.RLIMIT_CPU)
        if soft == resource.RLIM_INFINITY:
            return None
        used = self._cpu_used()
        return used + max(0.0, soft - used) * BUDGET_SHARE

    def spent(self):
        """Real and CPU seconds since this call started."""
        return time.monotonic() - self.call_start, self._cpu_used() - self.cpu_start

    def allows(self, done):
        """Whether another unit may start, ``done`` units into this call."""
        if self.max_units is not None and done >= self.max_units:
            return False
        if time.monotonic() >= self.real_deadline:
            return False
        if self.cpu_deadline is not None and self._cpu_used() >= self.cpu_deadline:
            return False
        if self.memory_limit and memory_info(psutil.Process()) > self.memory_limit:
            return False
        return True


class CrmGuardianScan(models.AbstractModel):
    """The check registry and the scan service.

    A check is a key of :meth:`_get_checks` plus a method ``_check_<code>(rule, domain,
    now)`` returning a list of finding values. Another addon adds a check by inheriting
    this model, extending ``_get_checks`` and shipping a baseline ``crm.guardian.rule``.
    """

    _name = "crm.guardian.scan"
    _description = "CRM Guardian Scan Service"

    # ------------------------------------------------------------
    # REGISTRY
    # ------------------------------------------------------------

    @api.model
    def _get_checks(self):
        """Return ``{code: {name, section, model, sequence, incremental, reason}}`` of
        every check.

        ``reason``: the text of a finding's reason, with ``%(name)s`` placeholders filled
        when read from the facts the check stores (see crm.guardian.reason), or a dict of
        such texts chosen by the fact ``variant``.

        ``incremental``: the check finds one finding per record and only from the
        record, its chatter and activities (see :meth:`_changed_domain`) and thresholds
        in whole days (``_day_cutoff``): a same-day rescan may look at changed records
        only.
        ``watch``: relational fields whose records the check also reads; an incremental
        rescan counts a record as changed when one of them was written.
        ``group_field``: the check finds one finding per value of this field shared by
        several records (duplicates); incrementally, only the values of changed records
        are regrouped.
        ``unit``: what the rule's threshold counts (a key of :meth:`_get_threshold_units`):
        "days" when missing.
        """
        duplicate_reason = self.env._(
            "%(count)s records share %(field)s '%(key)s'. Review them and merge if they are "
            "the same (groups above %(threshold)s records are ignored)."
        )
        checks = {
            "stale_lead": {
                "name": self.env._("Stale lead"),
                "unit": "days",
                "section": "rescue",
                "model": "crm.lead",
                "sequence": 10,
                "incremental": True,
                "reason": self.env._(
                    "No stage change, message or new activity for %(age)s days in stage "
                    "%(stage)s (last touch %(date)s; threshold %(threshold)s days)."
                ),
            },
            "quotation_followup": {
                "name": self.env._("Quotation sent, not followed up"),
                "unit": "days",
                "section": "rescue",
                "model": "sale.order",
                "sequence": 20,
                "incremental": True,
                "reason": self.env._(
                    "Quotation sent and not followed up for %(age)s days (last touch %(date)s; "
                    "threshold %(threshold)s days)."
                ),
            },
            "quotation_draft": {
                "name": self.env._("Draft quotation never sent"),
                "unit": "days",
                "section": "rescue",
                "model": "sale.order",
                "sequence": 30,
                "incremental": True,
                "reason": self.env._(
                    "Draft quotation dated %(date)s never sent to the customer (%(age)s days; "
                    "threshold %(threshold)s days)."
                ),
            },
            "quotation_expiring": {
                "name": self.env._("Quotation expiring soon"),
                "unit": "days",
                "section": "rescue",
                "model": "sale.order",
                "sequence": 40,
                "incremental": True,
                "reason": self.env._(
                    "Quotation expires on %(date)s, in %(days)s days "
                    "(threshold %(threshold)s days)."
                ),
            },
            "invoice_overdue": {
                "name": self.env._("Overdue customer invoice"),
                "unit": "days",
                "section": "rescue",
                "model": "account.move",
                "sequence": 50,
                "incremental": True,
                "reason": self.env._(
                    "%(amount)s due since %(date)s: %(age)s days overdue "
                    "(threshold %(threshold)s days)."
                ),
            },
            "conversion_gap": {
                "name": self.env._("Conversion gap"),
                "unit": "days",
                "section": "rescue",
                "model": "crm.lead",
                "sequence": 60,
                "incremental": True,
                "watch": ("partner_id",),
                "reason": self.env._(
                    "The opportunity has %(fields)s but its customer %(partner)s does not."
                ),
            },
            "lead_incomplete": {
                "name": self.env._("Incomplete lead"),
                "unit": "days",
                "section": "incomplete",
                "model": "crm.lead",
                "sequence": 110,
                "incremental": True,
                "reason": self.env._("The lead has no %(fields)s."),
            },
            "customer_incomplete": {
                "name": self.env._("Customer missing email or phone"),
                "unit": "days",
                "section": "incomplete",
                "model": "res.partner",
                "sequence": 120,
                "incremental": True,
                "reason": self.env._("The customer has no %(fields)s."),
            },
            "company_no_email_contact": {
                "name": self.env._("Company without a contact with an email"),
                "unit": "days",
                "section": "incomplete",
                "model": "res.partner",
                "sequence": 130,
                "incremental": True,
                "watch": ("child_ids",),
                "reason": self.env._("No contact of this company has an email address."),
            },
            "lead_duplicate_email": {
                "name": self.env._("Leads sharing an email"),
                "unit": "members",
                "section": "duplicates",
                "model": "crm.lead",
                "sequence": 210,
                "incremental": True,
                "group_field": "email_normalized",
                "reason": duplicate_reason,
            },
            "lead_duplicate_phone": {
                "name": self.env._("Leads sharing a phone"),
                "unit": "members",
                "section": "duplicates",
                "model": "crm.lead",
                "sequence": 220,
                "incremental": True,
                "group_field": "phone_sanitized",
                "reason": duplicate_reason,
            },
            "partner_duplicate_email": {
                "name": self.env._("Contacts sharing an email"),
                "unit": "members",
                "section": "duplicates",
                "model": "res.partner",
                "sequence": 230,
                "incremental": True,
                "group_field": "email_normalized",
                "reason": duplicate_reason,
            },
            "company_duplicate_name": {
                "name": self.env._("Companies with the same name"),
                "unit": "members",
                "section": "duplicates",
                "model": "res.partner",
                "sequence": 240,
                "incremental": True,
                "group_field": "guardian_name_key",
                "reason": duplicate_reason,
            },
            "quotation_signature": {
                "name": self.env._("Awaiting the customer's signature"),
                "unit": "days",
                "section": "contracts",
                "model": "sale.order",
                "sequence": 410,
                "incremental": True,
                "reason": self.env._(
                    "Sent on %(date)s for an online signature, still unsigned after %(age)s days "
                    "(threshold %(threshold)s days)."
                ),
            },
        }
        return checks

    @api.model
    def _get_sections(self):
        return {
            "rescue": self.env._("Rescue list"),
            "incomplete": self.env._("Incomplete data"),
            "duplicates": self.env._("Possible duplicates"),
            # sales documents awaiting a signature; the OCA contract checks come with
            # crm_guardian_contract
            "contracts": self.env._("Contracts"),
        }

    @api.model
    def _selection_check(self):
        checks = self._get_checks()
        return [
            (code, checks[code]["name"])
            for code in sorted(checks, key=lambda c: checks[c]["sequence"])
        ]

    @api.model
    def _selection_section(self):
        return list(self._get_sections().items())

    @api.model
    def _get_threshold_units(self):
        """``{unit: label}`` of the units a check's threshold counts in (``unit`` of
        :meth:`_get_checks`)."""
        return {
            "days": self.env._("days"),
            "hours": self.env._("hours"),
            "members": self.env._("members"),
        }

    @api.model
    def _check_unit(self, code):
        """The unit of the threshold of check ``code`` ("days" by default)."""
        return (self._get_checks().get(code) or {}).get("unit") or "days"

    @api.model
    def _threshold_text(self, code, value):
        """A threshold of check ``code`` with its unit: "1 day", "14 days", "20 members"."""
        unit = self._check_unit(code)
        if unit == "hours":
            if value == 1:
                return self.env._("%(count)s hour", count=value)
            return self.env._("%(count)s hours", count=value)
        if unit == "members":
            return self.env._("%(count)s members", count=value)
        if value == 1:
            return self.env._("%(count)s day", count=value)
        return self.env._("%(count)s days", count=value)

    @api.model
    def _sorted_checks(self, codes):
        """``codes`` (checks) in the order of the checks' sequence, i.e. by section."""
        checks = self._get_checks()
        return sorted(codes, key=lambda code: (checks.get(code, {}).get("sequence", 0), code))

    @api.model
    def _sorted_sections(self, codes):
        """``codes`` (sections) in the order of their first check's sequence."""
        first = {}
        for check in self._get_checks().values():
            section = check["section"]
            first[section] = min(first.get(section, check["sequence"]), check["sequence"])
        return sorted(codes, key=lambda code: (first.get(code, 10**6), code))

    # ------------------------------------------------------------
    # SCAN RUNS: units of work, committed one by one
    # ------------------------------------------------------------

    @api.model
    def _cron_scan(self):
        """The scheduled action: continue the running scan, or start the nightly one,
        and do its units of work, each committed, until this call's budget is spent
        (:class:`ScanBudget`). Odoo calls it again while it reports work remaining
        (``ir.cron._notify_progress``); a worker killed in a unit loses that unit only.
        A unit that raises marks the run failed (the next period starts a new one)."""
        self = self.sudo()
        Cron = self.env["ir.cron"]
        budget = self._call_budget()
        run = self._cron_run()
        if not run:
            Cron._notify_progress(done=0, remaining=0)
            return
        self._commit()
        done, step = self._scan_units(run, budget)
        _logger.info(
            "CRM Guardian scan run %s: %s units in this call, %.1f s real, %.1f s CPU (%s)",
            run.id,
            done,
            *budget.spent(),
            step,
        )
        if step == "budget" and done:
            # work left: Odoo calls again at once (same worker, same watchdog window)
            Cron._notify_progress(done=done, remaining=run._remaining_lines())
            return
        if step in ("budget", "busy"):
            # the window is spent, or another worker scans: end the job for now and
            # come back at the worker's next wake-up
            self._yield_worker(minutes=1 if step == "busy" else 0)
        elif step == "finished" and run.trigger != "cron" and self._nightly_due():
            # a queued Scan Now finished while the nightly scan is due: start it now,
            # Odoo would otherwise reschedule the job to tomorrow
            nightly = self._cron_run()
            if nightly:
                self._commit()
                Cron._notify_progress(done=max(done, 1), remaining=nightly._remaining_lines())
                return
        Cron._notify_progress(done=done, remaining=0)

    @api.model
    def _nightly_due(self):
        """Whether this call is the scheduled scan's job and its regular time has come."""
        cron = self.env.ref("crm_guardian.ir_cron_crm_guardian_scan", raise_if_not_found=False)
        if not cron or self.env.context.get("cron_id") != cron.id:
            return False
        return cron.nextcall <= fields.Datetime.now()

    @api.model
    def _scan_units(self, run, budget):
        """Do units of ``run`` while ``budget`` allows, committing each. Returns the
        units done and why it stopped: ``budget``, ``busy``, ``finished`` or ``failed``."""
        done = 0
        while budget.allows(done):
            try:
                step = self._scan_unit(run)
            except Exception:
                if not self.env.context.get("cron_id"):
                    raise
                _logger.exception("CRM Guardian scan run %s failed", run.id)
                self._fail_run(run)
                return done, "failed"
            self._commit()
            if step != "unit":
                return done, step
            done += 1
        return done, "budget"

    @api.model
    def _scan(self, checks=None, now=None):
        """Scan ``checks`` (all by default) in this transaction, in one go: the same units
        of work as the scheduled scan, without commits (tests, demo data, small
        databases). Returns ``{check: {"created", "updated", "resolved", "reopened"}}``.
        Raises a UserError while another scan runs."""
        self = self.sudo()
        self._lock_start()
        if self.env["crm.guardian.scan.run"].search_count([("state", "=", "running")], limit=1):
            raise UserError(self.env._("A scan is already running; try again when it is done."))
        run = self._create_run(checks, now or fields.Datetime.now(), "direct")
        while (step := self._scan_unit(run)) == "unit":
            pass
        if step == "busy":
            raise UserError(self.env._("Another scan is running; try again when it is done."))
        return run._result()

    @api.model
    def _enqueue_scan(self, checks=None):
        """Scan Now: queue a run of ``checks`` for the scheduled action (``_trigger``) and
        return a notification (client action); says so when a scan already runs."""
        self = self.sudo()
        Run = self.env["crm.guardian.scan.run"]
        cron = self.env.ref("crm_guardian.ir_cron_crm_guardian_scan", raise_if_not_found=False)
        if not cron or not cron.active:
            return self._notification(
                self.env._(
                    "The scheduled action 'CRM Guardian: nightly scan' is archived: "
                    "activate it to scan."
                ),
                "warning",
            )
        self._lock_start()
        running = Run.search([("state", "=", "running")], limit=1)
        if running:
            return self._notification(Run._status_text(), "warning")
        self._create_run(checks, fields.Datetime.now(), "manual")
        cron._trigger()
        return self._notification(
            self.env._(
                "The scan is queued: it runs in the background, in steps. The dashboard "
                "shows its progress; Configuration > Scan History its details."
            ),
            "info",
        )

    @api.model
    def _notify_requester(self, run):
        """Tell who asked for a Scan Now (in their open Odoo pages, in their language)
        that it finished, with what it changed, or that it failed."""
        user = run.requested_by_id
        if run.trigger != "manual" or not user:
            return
        run = run.with_context(lang=user.lang)
        if run.state == "done":
            message = run.env._(
                "Scan done in %(duration)s: %(created)s new findings, %(updated)s updated, "
                "%(resolved)s resolved.",
                duration=run._format_duration(run.duration),
                created=run.created_count,
                updated=run.updated_count,
                resolved=run.resolved_count,
            )
        else:
            message = run.env._("The scan failed: see Configuration > Scan History.")
        notification = self.with_context(lang=user.lang)._notification(
            message, "success" if run.state == "done" else "danger"
        )
        user._bus_send("simple_notification", notification["params"])

    @api.model
    def _notification(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("CRM Guardian scan"),
                "message": message,
                "type": kind,
                "sticky": False,
            },
        }

    @api.model
    def _commit(self):
        """Commit the unit of work done, in a cron job (``cron_id`` in the context: Odoo's
        job cursor, which Odoo commits between calls too); elsewhere (a shell, tests)
        the caller's transaction decides."""
        if self.env.context.get("cron_id"):
            # a unit of work is done: it must survive the worker
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _yield_worker(self, minutes=0):
        """End the cron job for now, to continue at the worker's next wake-up: a trigger
        (``_notifydb`` wakes the workers at once), since a job reported done is
        rescheduled to its next interval."""
        cron = self.env.ref("crm_guardian.ir_cron_crm_guardian_scan", raise_if_not_found=False)
        if cron and self.env.context.get("cron_id") == cron.id:
            cron._trigger(fields.Datetime.now() + timedelta(minutes=minutes))

    @api.model
    def _call_budget(self):
        """How much of the worker's limits this call may use (:class:`ScanBudget`)."""
        return ScanBudget(
            self.env.cr,
            cron=bool(self.env.context.get("cron_id")),
            max_units=self.env.context.get("guardian_scan_max_units"),
        )

    @api.model
    def _lock_start(self):
        """Serialize the start of runs (check for a running one, create it): a
        transaction-level advisory lock, held until commit."""
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s)", SCAN_START_LOCK))

    @api.model
    def _cron_run(self):
        """The run this cron call works on: the running one, or a new full run when no
        scheduled run started since the job's last completion (``lastcall``: a run
        that failed in this period is not restarted before the next). A running run
        older than ``RUN_MAX_AGE`` is interrupted and replaced."""
        Run = self.env["crm.guardian.scan.run"]
        now = fields.Datetime.now()
        self._lock_start()
        run = Run.search([("state", "=", "running")], limit=1)
        if run and run.scan_date < now - RUN_MAX_AGE:
            run.write({"state": "interrupted", "finished": now})
            run = Run
        if run:
            run.calls += 1
            return run
        lastcall = self.env.context.get("lastcall")
        if lastcall and Run.search_count(
            [("trigger", "=", "cron"), ("started", ">=", lastcall)], limit=1
        ):
            return Run
        run = self._create_run(None, now, "cron")
        run.calls = 1
        return run

    @api.model
    def _create_run(self, checks, now, trigger):
        definitions = self._get_checks()
        codes = sorted(
            (code for code in (checks or definitions) if code in definitions),
            key=lambda code: definitions[code]["sequence"],
        )
        return self.env["crm.guardian.scan.run"].create(
            {
                "trigger": trigger,
                "scan_date": now,
                "requested_by_id": self.env.context.get("guardian_requested_by"),
                "line_ids": [
                    Command.create({"check": code, "sequence": definitions[code]["sequence"]})
                    for code in codes
                ],
            }
        )

    @api.model
    def _fail_run(self, run):
        """Roll the unit in flight back and mark ``run`` failed, with the error."""
        error = traceback.format_exc(limit=5)
        self.env.cr.rollback()
        run.invalidate_recordset()
        run.write({"state": "failed", "finished": fields.Datetime.now(), "error": error})
        self._notify_requester(run)
        self._commit()

    @api.model
    def _scan_unit(self, run):
        """Do the next unit of work of ``run`` in this transaction: start a check's pass,
        scan one range of its source records and sync their findings, or finish the
        run. Returns ``"unit"``, ``"finished"`` (nothing left) or ``"busy"``: another
        transaction holds the scan lock (another worker scans), nothing was done."""
        cr = self.env.cr
        cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", SCAN_LOCK))
        if not cr.fetchone()[0]:
            return "busy"
        # "id NOT IN (subquery)" (Odoo's "not any" on a one2many) is fast only while
        # PostgreSQL can hash the subquery in work_mem; for this transaction only
        cr.execute(SQL("SET LOCAL work_mem = %s", SCAN_WORK_MEM))
        run.invalidate_recordset()
        run.line_ids.invalidate_recordset()
        if run.state != "running":
            return "finished"
        line = run.line_ids.filtered(lambda line: line.state != "done")[:1]
        if not line:
            self._finish_run(run)
            return "finished"
        if line.check not in self._get_checks():
            # its addon was uninstalled during the run: nothing to scan
            line.write({"state": "done", "finished": fields.Datetime.now()})
            return "unit"
        start = time.monotonic()
        if line.state == "pending":
            self._start_line(line)
        counts = self._scan_line_unit(line)
        elapsed = time.monotonic() - start
        # a unit that starts a new kind of work sets the size of the next one itself
        next_chunk = counts.pop("next_chunk", None)
        line.write(
            {
                "units": line.units + 1,
                "duration": line.duration + elapsed,
                "chunk_size": next_chunk or self._next_chunk_size(line.chunk_size, elapsed),
                **{fname: line[fname] + counts[fname] for fname in counts},
            }
        )
        run.units += 1
        return "unit"

    @api.model
    def _start_line(self, line):
        """Start the pass of a check: full or incremental (:meth:`_scan_since`)."""
        code = line.check
        rules = self._check_rules(code)
        signature = self._rules_signature(code, rules)
        since = self._scan_since(code, rules, signature, line.run_id.scan_date)
        definition = self._get_checks()[code]
        table = SQL.identifier(self.env[definition["model"]]._table)
        self.env.cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM %s", table))
        max_id = self.env.cr.fetchone()[0]
        line.write(
            {
                "state": "running",
                "mode": "incremental" if since else "full",
                "since": since,
                "signature": signature,
                "pass_started": self.env.cr.now(),
                "max_id": max_id,
                "cursor_id": 0,
                # the first unit's size (a full pass: source records; an incremental
                # one: changed records), the next ones adapt to its speed
                "chunk_size": 0,
            }
        )

    @api.model
    def _check_rules(self, code):
        return self.env["crm.guardian.rule"].search([("check", "=", code)], order="sequence, id")

    @api.model
    def _scan_line_unit(self, line):
        """Scan the next range of the line's source records (a duplicate check: all of
        them, one set-based unit) with every rule of its check and sync their findings:
        the findings of the range that are not found again are resolved (the range is
        the whole pass for these records). Returns the line's counters to add."""
        code, now = line.check, line.run_id.scan_date
        definition = self._get_checks()[code]
        grouped = bool(definition.get("group_field"))
        low, high, read, changed_ids = line.cursor_id, None, 0, None
        if not grouped and line.since:
            high, changed_ids = self._next_changed(code, line.since, low, line.chunk_size)
        elif not grouped:
            high, read = self._next_range(definition["model"], low, line.chunk_size)
        restriction, scope, changed = self._unit_restriction(
            code, line.since, low, high, grouped, now.date(), changed_ids
        )
        if changed is not None:
            read = changed
        rules = self._check_rules(code)
        # an incremental unit without a changed record finds and resolves nothing (the
        # findings of deleted records were resolved with them): no query at all
        vals_list = (
            []
            if changed == 0
            else self._union_found(
                [
                    self._run_check(code, rule, expression.AND([domain, *restriction]), now)
                    for rule, domain in self._get_rule_domains(code, rules)
                ]
            )
        )
        if grouped:
            read = sum(vals.get("member_count", 0) for vals in vals_list)
        counts = (
            dict.fromkeys(("updated", "created", "resolved", "reopened"), 0)
            if changed == 0
            else self._sync_findings(code, vals_list, now, scope=scope)
        )
        last = grouped or high is None
        line.cursor_id = line.max_id if last else high
        if last:
            line.write({"state": "done", "finished": fields.Datetime.now()})
            self._store_scan_state(
                rules, line.signature, now, line.pass_started, full=line.mode == "full"
            )
            _logger.info("CRM Guardian check %s (%s) done", code, line.mode)
        return {
            "records_read": read,
            "created_count": counts["created"],
            "updated_count": counts["updated"],
            "resolved_count": counts["resolved"],
            "reopened_count": counts["reopened"],
        }

    @api.model
    def _union_found(self, parts):
        """The findings of a check's rules in one: their lists joined, or their SQL
        queries (checks evaluated in SQL) as one ``UNION ALL`` (the rules' domains
        exclude each other: one finding per record)."""
        if parts and isinstance(parts[0], SQL):
            return SQL(" UNION ALL ").join(SQL("(%s)", part) for part in parts)
        return [vals for part in parts for vals in part]

    @api.model
    def _next_range(self, model, low, line_chunk=0):
        """``(high, count)``: the next ``chunk`` source ids after ``low`` end at
        ``high``; ``high`` is None for the last range (open-ended: it also covers the
        findings of deleted records above the last id)."""
        chunk = self._chunk_size(line_chunk)
        self.env.cr.execute(
            SQL(
                "SELECT MAX(id), COUNT(*) FROM (SELECT id FROM %s WHERE id > %s ORDER BY id "
                "LIMIT %s) AS ids",
                SQL.identifier(self.env[model]._table),
                low,
                chunk,
            )
        )
        high, count = self.env.cr.fetchone()
        return (high if count >= chunk else None), count

    @api.model
    def _chunk_size(self, line_chunk=0):
        """Source records per unit of work: the line's own (adapted to its speed, see
        :meth:`_next_chunk_size`), else the system parameter
        ``crm_guardian.scan_chunk_size``; context ``guardian_scan_chunk`` in tests."""
        size = self.env.context.get("guardian_scan_chunk") or line_chunk
        size = size or self.env["ir.config_parameter"].get_param("crm_guardian.scan_chunk_size")
        try:
            return max(1, int(size or DEFAULT_CHUNK))
        except ValueError:
            return DEFAULT_CHUNK

    @api.model
    def _next_chunk_size(self, chunk, elapsed):
        """The size of the line's next range, so that a unit takes about
        ``UNIT_TARGET_S`` seconds: the margin of the call's budget covers one unit."""
        chunk = self._chunk_size(chunk)
        if elapsed <= 0:
            return chunk
        wanted = chunk * UNIT_TARGET_S / elapsed
        return int(max(MIN_CHUNK, min(MAX_CHUNK, wanted, chunk * 2)))

    @api.model
    def _unit_restriction(self, code, since, low, high, grouped, today, changed_ids=None):
        """``(domains, scope, changed)``: the domains restricting a unit's rules, the SQL
        condition (on finding ``f``) of the findings its sync may resolve, and for an
        incremental pass the number of changed records read (else None). A range
        unit: its id range; an incremental one: ``changed_ids``, the changed records
        of its range (:meth:`_next_changed`), and the findings of these; a duplicate
        check's: the groups to regroup (:meth:`_incremental_group_domain`, on day
        ``today``)."""
        if grouped:
            if not since:
                return [], None, None
            return self._incremental_group_domain(code, since, today)
        id_range = [("id", ">", low)] + ([("id", "<=", high)] if high else [])
        range_sql = self._range_sql("f", low, high)
        if not since:
            return [id_range], range_sql, None
        scope = SQL("(%s AND f.res_id = ANY(%s))", range_sql, changed_ids)
        return [id_range, [("id", "in", changed_ids)]], scope, len(changed_ids)

    @api.model
    def _range_sql(self, alias, low, high):
        """SQL: the finding ``alias``'s record id is in the range ``(low, high]``."""
        res_id = SQL.identifier(alias, "res_id")
        if high:
            return SQL("%s > %s AND %s <= %s", res_id, low, res_id, high)
        return SQL("%s > %s", res_id, low)

    @api.model
    def _finish_run(self, run):
        now = fields.Datetime.now()
        run.write(
            {
                "state": "done",
                "finished": now,
                "duration": (now - run.started).total_seconds(),
            }
        )
        self._notify_requester(run)
        written = sum(
            line.created_count + line.updated_count + line.resolved_count for line in run.line_ids
        )
        if written > ANALYZE_AFTER_WRITES:
            # fresh statistics for the next (incremental) scan's plans; autovacuum
            # would get there, minutes later
            self.env.cr.execute("ANALYZE crm_guardian_finding")

    @api.model
    def _get_rule_domains(self, code, rules=None):
        """Yield ``(rule, domain)`` so that each record falls in its first rule only.

        The domain of a rule excludes the records matched by the rules before it.
        """
        if rules is None:
            rules = self._check_rules(code)
        previous = []
        for rule in rules:
            own = rule._get_record_domain()
            negations = [["!", *expression.normalize_domain(dom)] for dom in previous]
            previous.append(own)
            yield rule, expression.AND([own, *negations])

    # ------------------------------------------------------------
    # INCREMENTAL RESCAN
    # ------------------------------------------------------------

    @api.model
    def _rules_signature(self, code, rules):
        """Fingerprint of a check's rules: changes when one is added, edited, archived
        or deleted."""
        text = repr([code, [(rule.id, str(rule.write_date)) for rule in rules]])
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    @api.model
    def _scan_since(self, code, rules, signature, now):
        """Since when records count as changed if this scan may be incremental, else None.

        Incremental when the check is marked ``incremental`` and every rule of it was
        scanned with the same rules (signature) on the day of ``now`` (ages and
        day-based thresholds change with the day: the first scan of a day is full) —
        or, for a check whose threshold counts members (duplicates: nothing changes
        with the day), when their last full pass is at most ``FULL_PASS_EVERY`` old.
        Records count as changed from the start of the last scan's transaction, less
        ``INCREMENTAL_MARGIN``: ``write_date`` is the start of the writer's transaction,
        which may have begun before the last scan and committed after it.
        """
        if not rules or not self._get_checks()[code].get("incremental"):
            return None
        if self._rule_relations(code, rules) is None:
            return None
        dates = set(rules.mapped("last_scan_date"))
        if set(rules.mapped("last_scan_signature")) != {signature} or len(dates) != 1:
            return None
        last = dates.pop()
        if not last:
            return None
        if self._check_unit(code) != "members":  # days, hours: change with time
            if last.date() != now.date():
                return None
        else:
            full = set(rules.mapped("last_full_scan_date"))
            if len(full) != 1 or not (last_full := full.pop()) or now - last_full > FULL_PASS_EVERY:
                return None
        return last - INCREMENTAL_MARGIN

    @api.model
    def _next_changed(self, code, since, low, line_chunk=0):
        """``(high, changed_ids)``: the next ``chunk`` records after ``low``, in id order,
        that may have changed since ``since`` (:meth:`_changed_domain`), however far
        apart (one query that stops at the last of them: a rescan after 1 % of a
        million leads is one unit, not one per range of source records, each reading
        the chatter again); ``high`` is the last of them, None when fewer remain (the
        last unit, open-ended as :meth:`_next_range`'s).

        An unchanged record cannot newly match on the same day: thresholds count
        whole days (see ``_day_cutoff``), and the first scan of a day is full.
        Unchanged records keep their standing findings as they are: same day, same
        data, same values; a deleted record's were resolved when it was deleted
        (mail.thread ``unlink``)."""
        chunk = self._chunk_size(line_chunk)
        Model = self.env[self._get_checks()[code]["model"]].with_context(active_test=False)
        changed_ids = list(
            Model._search(
                expression.AND([[("id", ">", low)], self._changed_domain(code, since)]),
                order="id",
                limit=chunk,
            )
        )
        return (changed_ids[-1] if len(changed_ids) == chunk else None), changed_ids

    @api.model
    def _changed_ids(self, model, domain):
        """Ids of ``model`` matching ``domain``, archived records included."""
        return list(self.env[model].with_context(active_test=False)._search(domain))

    @api.model
    def _changed_group_keys(self, code, Model, key_field, changed_ids):
        """The keys (values of ``key_field``) of the records ``changed_ids`` and of the
        standing groups of ``code`` one of them belongs to."""
        Model.flush_model([key_field])
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT DISTINCT %s FROM %s WHERE id = ANY(%s) AND %s IS NOT NULL",
                SQL.identifier(key_field),
                SQL.identifier(Model._table),
                changed_ids,
                SQL.identifier(key_field),
            )
        )
        keys = {key for (key,) in cr.fetchall()}
        keys.update(key for _res_id, key in self._standing_groups(code, changed_ids) if key)
        return keys

    @api.model
    def _expired_dismissals(self, code, today):
        """``[(duplicate_key, member ids)]`` of the group findings of ``code`` dismissed
        until a day that has come (``dismiss_until <= today``): a rescan of a duplicate
        check regroups them too, so that they re-open (``_sync_findings``) on their
        day, not at the next full pass."""
        self.env.cr.execute(
            SQL(
                """SELECT duplicate_key, member_res_ids FROM crm_guardian_finding
                    WHERE %s = %s AND state = 'dismissed' AND dismiss_until <= %s""",
                SQL.identifier("check"),
                code,
                today,
            )
        )
        return [
            (key, [int(i) for i in (members or "").split(",") if i])
            for key, members in self.env.cr.fetchall()
        ]

    @api.model
    def _standing_groups(self, code, ids):
        """``[(res_id, duplicate_key)]`` of the standing (open, dismissed) group findings
        of ``code`` with a member among ``ids``: a semi-join on the members (an array
        overlap "&&" compares every member with every id: seconds at 10,000 of each)."""
        self.env.cr.execute(
            SQL(
                """SELECT DISTINCT f.res_id, f.duplicate_key
                     FROM crm_guardian_finding f,
                          unnest(string_to_array(f.member_res_ids, ',')::int[]) AS m(id)
                    WHERE f.%s = %s AND f.state IN ('open', 'dismissed')
                      AND m.id IN (SELECT unnest(%s::int[]))""",
                SQL.identifier("check"),
                code,
                ids,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _incremental_group_domain(self, code, since, today):
        """Regroup only the values (keys) of records changed since ``since``, the keys
        of the standing groups a changed record belongs to (it may have left the
        group) and of the groups whose dismissal ends by ``today``. Returns the domains
        restricting the rules, the findings the sync may resolve (those of these keys)
        and the number of changed records."""
        definition = self._get_checks()[code]
        Model = self.env[definition["model"]]
        changed_ids = self._changed_ids(Model._name, self._changed_domain(code, since))
        key_field = definition["group_field"]
        keys = self._changed_group_keys(code, Model, key_field, changed_ids)
        expired = self._expired_dismissals(code, today)
        keys.update(key for key, _members in expired if key)
        keys = sorted(keys)
        cr = self.env.cr
        # the keys go to a temporary table with statistics: with "key IN (list)" the
        # planner probes the host's trigram index of email_normalized once per key
        # (each probe reads most of the index: seconds for a thousand keys); knowing
        # the number of keys, it hashes them and reads the table once instead
        cr.execute("DROP TABLE IF EXISTS crm_guardian_scan_keys")
        cr.execute("CREATE TEMPORARY TABLE crm_guardian_scan_keys (key varchar) ON COMMIT DROP")
        cr.execute(SQL("INSERT INTO crm_guardian_scan_keys SELECT unnest(%s::varchar[])", keys))
        cr.execute("ANALYZE crm_guardian_scan_keys")
        members = Model.with_context(active_test=False)._search([])
        members.add_where(
            SQL(
                "%s IN (SELECT key FROM crm_guardian_scan_keys)",
                SQL.identifier(members.table, key_field),
            )
        )
        scope = SQL("f.duplicate_key = ANY(%s)", keys)
        # records read: the changed ones and the members of the groups that re-open
        read = len(changed_ids) + sum(len(ids) for _key, ids in expired)
        return [[("id", "in", members)]], scope, read

    @api.model
    def _rule_relations(self, code, rules):
        """Relational fields of the check's model that the rules' conditions follow one
        step (``partner_id.category_id``, ``partner_id`` compared to a name, ``any``
        on a plain sub-condition): an incremental rescan also counts a record as
        changed when the related record was written. None when a condition goes
        further (two steps, ``child_of``, a one2many): such a check is always
        rescanned in full."""
        Model = self.env[self._get_checks()[code]["model"]]
        watched = set()
        for rule in rules:
            for leaf in rule._get_record_domain():
                if not isinstance(leaf, (list, tuple)) or len(leaf) != 3:
                    continue
                relation = self._leaf_relation(Model, leaf)
                if relation is False:
                    return None
                if relation:
                    watched.add(relation)
        return watched

    @api.model
    def _leaf_relation(self, Model, leaf):
        """The relational field a domain leaf follows one step, None if it follows
        none, False if it follows more (see :meth:`_rule_relations`)."""
        left, operator, right = leaf
        path = str(left).split(".")
        field = Model._fields.get(path[0])
        if not field or not field.relational:
            return None
        if field.type == "one2many" or operator in ("child_of", "parent_of") or len(path) > 2:
            return False
        if operator in ("any", "not any"):
            if len(path) > 1 or not isinstance(right, (list, tuple)):
                return False
            comodel = self.env[field.comodel_name]
            for sub in right:
                if isinstance(sub, (list, tuple)) and self._leaf_relation(comodel, sub) is not None:
                    return False
            return path[0]
        if len(path) == 2:
            return path[0]
        values = right if isinstance(right, (list, tuple)) else [right]
        if any(isinstance(value, str) for value in values):
            return path[0]  # compared to names: the related record's name
        return None

    @api.model
    def _changed_domain(self, code, since):
        """Records of the check's model touched since ``since``: written, or with a chatter
        message or an activity created or changed, or whose related records named in the
        check's ``watch`` (relational fields: the customer, the contacts) or followed by
        its rules were written. The duplicate checks (their threshold counts members)
        compare the records' own fields: the chatter does not count for them."""
        watched = set(self._get_checks()[code].get("watch", ()))
        watched |= self._rule_relations(code, self._check_rules(code)) or set()
        chatter = self._check_unit(code) != "members"
        return expression.OR(
            [
                [("write_date", ">=", since)],
                *(
                    [
                        [("message_ids", "any", [("date", ">=", since)])],
                        [("activity_ids", "any", [("write_date", ">=", since)])],
                    ]
                    if chatter
                    else []
                ),
                *([(fname, "any", [("write_date", ">=", since)])] for fname in sorted(watched)),
            ]
        )

    @api.model
    def _store_scan_state(self, rules, signature, now, started, full=False):
        """Remember the pass of these rules: ``started``, the start of the transaction
        of its first unit, the time ``write_date`` of later changes is compared to (and,
        of a ``full`` pass, as the last full one). A scan computed for another day than
        today (``now`` given, in tests) leaves none: the next one is full."""
        if not rules:
            return
        if started.date() != now.date():
            started = None
        self.env.cr.execute(
            SQL(
                "UPDATE crm_guardian_rule SET last_scan_date = %s, last_scan_signature = %s, "
                "last_full_scan_date = CASE WHEN %s THEN %s ELSE last_full_scan_date END "
                "WHERE id IN %s",
                started,
                signature,
                full or started is None,
                started,
                tuple(rules.ids),
            )
        )
        rules.invalidate_recordset(["last_scan_date", "last_scan_signature", "last_full_scan_date"])

    @api.model
    def _run_check(self, code, rule, domain, now):
        """The findings of ``rule`` among the records of ``domain``: a list of finding
        values (checks written in Python), or, for a check that returns its rows as
        SQL (see ``_finding_rows_sql``), an ``SQL`` query of the same columns."""
        definition = self._get_checks()[code]
        found = getattr(self, f"_check_{code}")(rule, domain, now)
        if isinstance(found, SQL):
            return self._finding_rows_sql(code, rule, found, now)
        common = {
            "check": code,
            "section": definition["section"],
            "res_model": definition["model"],
            "rule_id": rule.id,
        }
        threshold, weight = rule.threshold, rule.weight
        for vals in found:
            vals.setdefault("key", f"{code}:{vals['res_id']}")
            vals.setdefault("reason_params", {})
            vals.update(common)
            vals.setdefault("threshold", threshold)
            ratio = vals.pop("ratio", None)
            age_days = vals.get("age_days", 0)
            if "severity_level" not in vals:
                vals["severity_level"] = self._severity_level(ratio, age_days, threshold)
            vals["risk_score"] = self._risk(weight, threshold, ratio, age_days, vals.get("amount"))
            vals["high_risk"] = vals["risk_score"] >= HIGH_RISK
        return found

    @api.model
    def _finding_rows_sql(self, code, rule, found, now):
        """The finding rows of a check evaluated in SQL: ``key`` and the columns of
        ``SCANNED_FIELDS``, with the rule, threshold, severity and risk computed as
        ``_run_check`` does in Python (``test_risk_sql_equals_python``).

        Contract of ``found`` (a check's SQL): one row per matching record, columns
        ``res_id``, ``name``, ``reference_date`` (date), ``partner_id``, ``user_id``,
        ``team_id``, ``company_id``, ``amount`` (numeric), ``reason_params`` (jsonb),
        ``ratio`` (float, NULL: whole thresholds crossed by the age) and
        ``severity_level`` (NULL: thresholds crossed, at least 1). (``OFFSET 0``: its
        columns are computed once per row, not inlined in each expression using them.)"""
        definition = self._get_checks()[code]
        threshold = rule.threshold
        age = SQL("COALESCE(%s::date - c.reference_date, 0)", now.date())
        crossed = SQL("(%s / %s)", age, threshold) if threshold > 0 else SQL("1")
        risk = self._risk_sql(
            rule.weight, SQL("COALESCE(c.ratio::float8, %s)", crossed), SQL("c.amount")
        )
        return SQL(
            """SELECT %(code)s || ':' || c.res_id AS key, c.name, %(code)s AS "check",
                      %(section)s AS section, %(model)s AS res_model, c.res_id,
                      %(rule)s AS rule_id, c.partner_id, c.user_id, c.team_id, c.company_id,
                      c.reference_date, %(threshold)s AS threshold, c.amount,
                      %(risk)s AS risk_score, %(risk)s >= %(high)s AS high_risk,
                      c.reason_params,
                      COALESCE(c.severity_level, GREATEST(1, floor(%(level)s)))::int4
                          AS severity_level
                 FROM (%(found)s OFFSET 0) c""",
            code=code,
            section=definition["section"],
            model=definition["model"],
            rule=rule.id,
            threshold=threshold,
            risk=risk,
            high=HIGH_RISK,
            level=SQL("COALESCE(c.ratio::float8, %s)", crossed),
            found=found,
        )

    @api.model
    def _risk_sql(self, weight, ratio, amount):
        """SQL of :meth:`_risk` with the same float operations
        (``test_risk_sql_equals_python``): ``weight`` a number or an SQL expression,
        ``ratio`` an SQL expression that is not NULL, ``amount`` one that may be."""
        ratio = SQL("GREATEST(0, LEAST(%s, %s))", ratio, RATIO_CAP)
        amount_factor = SQL("LEAST(25, 5 * log(1 + GREATEST(COALESCE(%s::float8, 0), 0)))", amount)
        return SQL(
            "GREATEST(0, LEAST(100, round(%s::float8 * (25 * %s + %s))))::int4",
            weight,
            ratio,
            amount_factor,
        )

    @api.model
    def _severity_level(self, ratio, age_days, threshold):
        """Thresholds crossed (``floor(age / threshold)``, or of the check's own ratio),
        at least 1: a dismissed finding re-opens when this rises (see ``_sync_findings``).
        Checks set ``severity_level`` themselves when steps mean something else."""
        if ratio is None:
            ratio = age_days / threshold if threshold > 0 else 1
        return max(1, math.floor(ratio))

    @api.model
    def _risk(self, weight, threshold, ratio, age_days, amount):
        """The risk formula (see the top of this file); ``ratio`` None: the whole
        thresholds the age crossed."""
        if ratio is None:
            ratio = age_days // threshold if threshold > 0 else 1.0
        ratio = max(0.0, min(ratio, RATIO_CAP))
        amount_factor = min(25.0, 5 * math.log10(1 + max(amount or 0.0, 0.0)))
        return max(0, min(100, round(weight * (25 * ratio + amount_factor))))

    # ------------------------------------------------------------
    # SYNC of crm.guardian.finding (as superuser)
    # ------------------------------------------------------------

    @api.model
    def _sync_findings(self, check, vals_list, now, scope=None):
        """Create, update, reopen and resolve the findings of ``check``, in SQL, in the
        current transaction (one unit of work: all of it or nothing).

        Contract. ``vals_list``: the complete finding values of the records the unit
        scanned (``key`` unique per finding; the columns of ``SCANNED_FIELDS`` plus
        check-specific stored columns, values as the ORM would store them, False for
        NULL but in booleans), or an ``SQL`` query of these rows (``key`` and the
        columns of ``SCANNED_FIELDS``: see ``_finding_rows_sql``). They are copied
        (``COPY``, or ``INSERT … SELECT``: no row through Python) into a temporary
        table, then merged into ``crm_guardian_finding`` with four set-based
        statements: re-open candidates, ``UPDATE`` of the changed ones (whose scanned
        columns differ), ``INSERT`` of the new ones (``ON CONFLICT (key) DO NOTHING``:
        never twice), resolution of the standing findings of ``check`` in ``scope``
        whose key was not scanned (no rows at all, e.g. a rescan's changed records
        that no longer match: no merge table, only that resolution). When no finding
        of ``check`` stands in ``scope``, in any state (a first scan), the rows of an
        ``SQL`` query are all new: inserted straight from it, no merge table (a
        resolved finding in scope takes the merge, which re-opens it). Invariants: no
        ORM computes or constraints run (stored computes of the finding are filled by
        the checks: ``high_risk``), no mail tracking; created/updated by NULL (the
        scan: a user id would cost a foreign-key check per finding); the ORM cache of
        findings is invalidated. An ORM create/write per finding costs milliseconds
        each.

        A dismissed finding is re-opened when its dismissal period ended
        (``dismiss_until <= today``) or when its ``severity_level`` rose above the
        level at dismissal; a message on its chatter says why.

        ``scope``: an SQL condition on the finding ``f``: the findings the unit has
        shown to be gone (its id range; of an incremental pass, its changed records);
        None: every finding of the check (a duplicate check's one unit).
        """
        self = self.sudo()
        Finding = self.env["crm.guardian.finding"]
        Finding.flush_model()
        if isinstance(vals_list, list) and not vals_list:
            # nothing found (most units of a rescan): no merge table, no merge; the
            # standing findings in scope are resolved
            resolved = self._sync_resolve(check, scope, now, against_rows=False)
            Finding.invalidate_model()
            return {"updated": 0, "created": 0, "resolved": resolved, "reopened": 0}
        if isinstance(vals_list, SQL) and not self._any_standing(check, scope):
            # no finding of the check in scope, in any state (a first scan): every row
            # is new, inserted straight from the check's query (no merge table)
            self.env.flush_all()  # the query reads the tables, as execute_query would
            columns = self._sql_columns(SCANNED_FIELDS)
            created = self._sync_insert(check, columns, now, scope, rows=vals_list)
            Finding.invalidate_model()
            return {"updated": 0, "created": created, "resolved": 0, "reopened": 0}
        columns = self._fill_scan_rows(vals_list)
        with planner_settings(self.env.cr, SYNC_SETTINGS):
            reopened = self._sync_reopen_candidates(now)
            counts = {
                "updated": self._sync_update(check, columns, list(reopened), now, scope),
                "created": self._sync_insert(check, columns, now, scope),
                "resolved": self._sync_resolve(check, scope, now),
                "reopened": len(reopened),
            }
        self.env.cr.execute("DROP TABLE crm_guardian_scan_rows")
        Finding.invalidate_model()
        if reopened:
            # chatter history of the reopening; one message per reopened finding,
            # posted in one batch (few findings reopen per scan)
            Finding.browse(list(reopened))._message_log_batch(bodies=reopened)
        return counts

    @api.model
    def _fill_scan_rows(self, vals_list):
        """The rows of ``_sync_findings`` into the temporary table
        ``crm_guardian_scan_rows``; returns its columns ``[(fname, column type)]``
        (but the key)."""
        if isinstance(vals_list, SQL):
            columns = self._sql_columns(SCANNED_FIELDS)
            self._insert_scan_rows(columns, vals_list)
            return columns
        rows = {}
        for vals in vals_list:
            vals = self._prepare_sync_vals(vals)
            rows[vals["key"]] = vals
        columns = self._sql_columns(set(SCANNED_FIELDS).union(*rows.values()) - {"key"})
        self._copy_scan_rows(columns, rows.values())
        return columns

    @api.model
    def _sync_reopen_candidates(self, now):
        """``{finding id: why (escaped)}`` of the dismissed findings scanned again whose
        dismissal ended or whose evidence got worse."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """SELECT f.id, f.dismiss_until, f.dismissed_level, t.severity_level,
                          f."check", t.reason_params, t.reference_date, t.threshold
                     FROM crm_guardian_finding f JOIN crm_guardian_scan_rows t ON t.key = f.key
                    WHERE f.state = 'dismissed'
                      AND (f.dismiss_until <= %s
                           OR COALESCE(t.severity_level, 0) > COALESCE(f.dismissed_level, 0))""",
                now.date(),
            )
        )
        candidates = cr.fetchall()
        reasons = self.env["crm.guardian.reason"]._render_many(
            [row[4:] for row in candidates], today=now.date()
        )
        reopened = {}
        for (finding_id, until, dismissed_level, level, *_facts), reason in zip(
            candidates, reasons, strict=True
        ):
            why = self._reopen_reason(
                {"severity_level": level, "reason": reason}, dismissed_level, until, now.date()
            )
            if why:
                reopened[finding_id] = escape(why)
        return reopened

    @api.model
    def _sync_update(self, check, columns, reopen_ids, now, scope=None):
        """Rewrite the findings of ``check`` (in ``scope``: the rows' records are in it)
        whose scanned ``columns`` differ from the rows (compared as values: cheaper than
        a fingerprint of their text), the resolved ones found again and ``reopen_ids``
        (re-opened); returns the count."""
        names = [SQL.identifier(fname) for fname, _type in columns]
        standing, found = (
            SQL("(%s)", SQL(", ").join(SQL("%s.%s", SQL.identifier(alias), name) for name in names))
            for alias in ("f", "t")
        )
        self.env.cr.execute(
            SQL(
                """UPDATE crm_guardian_finding f
                      SET %(assign)s,
                          state = CASE WHEN f.state = 'resolved' OR f.id = ANY(%(reopen)s)
                                       THEN 'open' ELSE f.state END,
                          resolved_date = CASE WHEN f.state = 'resolved' THEN NULL
                                               ELSE f.resolved_date END,
                          dismiss_until = CASE WHEN f.id = ANY(%(reopen)s) THEN NULL
                                               ELSE f.dismiss_until END,
                          write_uid = NULL, write_date = %(now)s
                     FROM crm_guardian_scan_rows t
                    WHERE f.key = t.key AND f."check" = %(check)s %(scope)s
                      AND (f.state = 'resolved' OR f.id = ANY(%(reopen)s)
                           OR %(standing)s IS DISTINCT FROM %(found)s)""",
                scope=SQL("AND %s", scope) if scope is not None else SQL(),
                assign=SQL(", ").join(SQL("%s = t.%s", name, name) for name in names),
                check=check,
                standing=standing,
                found=found,
                reopen=reopen_ids,
                now=now,
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _any_standing(self, check, scope):
        """Whether a finding of ``check`` in ``scope`` exists, in any state (a resolved
        one found again is re-opened by the merge, not created)."""
        self.env.cr.execute(
            SQL(
                'SELECT EXISTS (SELECT 1 FROM crm_guardian_finding f WHERE f."check" = %s %s)',
                check,
                SQL("AND %s", scope) if scope is not None else SQL(),
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _sync_insert(self, check, columns, now, scope=None, rows=None):
        """Create the findings of the rows whose key is new (the ORM's defaults for the
        other columns); returns the count. ``rows``: the check's query (``key`` and
        ``columns``) when no finding of ``check`` stands in ``scope``: all are new.
        Otherwise the merge table's rows, whose keys are looked up among the findings
        of ``check`` in ``scope`` (the rows' records are in it): PostgreSQL 15 hashes
        the inner side of an anti-join, every finding of the table otherwise, once per
        unit."""
        Finding = self.env["crm.guardian.finding"]
        defaults = {
            fname: value
            for fname, value in Finding._add_missing_default_values({}).items()
            if fname not in dict(columns) and not Finding._fields[fname].type.endswith("2many")
        }
        default_columns = self._sql_columns(defaults)
        if rows is None:
            self._create_new_keys(check, scope)
            source = SQL("crm_guardian_scan_rows t JOIN crm_guardian_scan_new n ON n.key = t.key")
        else:
            source = SQL("(%s) t", rows)
        names = [SQL.identifier(fname) for fname, _type in columns]
        self.env.cr.execute(
            SQL(
                """INSERT INTO crm_guardian_finding
                          (key, %(names)s, %(default_names)s
                           create_uid, create_date, write_uid, write_date)
                   SELECT t.key, %(values)s, %(default_values)s
                          NULL, %(now)s, NULL, %(now)s
                     FROM %(source)s
                       ON CONFLICT (key) DO NOTHING""",
                names=SQL(", ").join(names),
                values=SQL(", ").join(SQL("t.%s", name) for name in names),
                default_names=SQL("").join(
                    SQL("%s, ", SQL.identifier(fname)) for fname, _type in default_columns
                ),
                default_values=SQL("").join(
                    SQL("%s::%s, ", self._sql_value(defaults[fname]), SQL(column_type))
                    for fname, column_type in default_columns
                ),
                source=source,
                now=now,
            )
        )
        created = self.env.cr.rowcount
        if rows is None:
            self.env.cr.execute("DROP TABLE crm_guardian_scan_new")
        return created

    @api.model
    def _create_new_keys(self, check, scope):
        """The temporary table ``crm_guardian_scan_new`` of the merge table's keys that
        no finding of ``check`` in ``scope`` has, found before the ``INSERT`` (an
        anti-join inside it may be planned on a still empty table as a nested loop
        rereading the rows the INSERT adds: quadratic, hours at a million findings);
        the unique key still guards."""
        self.env.cr.execute(
            SQL(
                """CREATE TEMPORARY TABLE crm_guardian_scan_new ON COMMIT DROP AS
                   SELECT t.key FROM crm_guardian_scan_rows t
                    WHERE NOT EXISTS (SELECT 1 FROM crm_guardian_finding f
                                       WHERE f.key = t.key AND f."check" = %s %s)""",
                check,
                SQL("AND %s", scope) if scope is not None else SQL(),
            )
        )

    @api.model
    def _sync_resolve(self, check, scope, now, against_rows=True):
        """Resolve the standing findings of ``check`` in ``scope`` (see
        ``_sync_findings``) not among the rows (all of them: not ``against_rows``, when
        there is none); returns the count."""
        self.env.cr.execute(
            SQL(
                """UPDATE crm_guardian_finding f
                      SET state = 'resolved', resolved_date = %(now)s,
                          write_uid = NULL, write_date = %(now)s
                    WHERE f."check" = %(check)s AND f.state IN ('open', 'dismissed')
                      %(not_found)s %(scope)s""",
                not_found=SQL(
                    "AND NOT EXISTS (SELECT 1 FROM crm_guardian_scan_rows t WHERE t.key = f.key)"
                )
                if against_rows
                else SQL(),
                scope=SQL("AND %s", scope) if scope is not None else SQL(),
                now=now,
                check=check,
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _create_scan_rows_table(self, columns):
        """(Re)create the temporary table ``crm_guardian_scan_rows`` of the merge: the
        finding ``key`` and ``columns`` (``[(fname, column type)]``)."""
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS crm_guardian_scan_rows")
        cr.execute(
            SQL(
                "CREATE TEMPORARY TABLE crm_guardian_scan_rows (key varchar PRIMARY KEY, %s) "
                "ON COMMIT DROP",
                SQL(", ").join(
                    SQL("%s %s", SQL.identifier(fname), SQL(column_type))
                    for fname, column_type in columns
                ),
            )
        )

    @api.model
    def _insert_scan_rows(self, columns, rows_sql):
        """Fill ``crm_guardian_scan_rows`` from the rows of a check evaluated in SQL
        (``rows_sql``: ``key`` and the ``columns``), inside PostgreSQL."""
        self.env.flush_all()  # the query reads the tables, as execute_query would
        self._create_scan_rows_table(columns)
        names = SQL(", ").join(SQL.identifier(name) for name in ["key", *dict(columns)])
        self.env.cr.execute(
            SQL(
                "INSERT INTO crm_guardian_scan_rows (%s) SELECT %s FROM (%s) s "
                "ON CONFLICT (key) DO NOTHING",
                names,
                names,
                rows_sql,
            )
        )
        self.env.cr.execute(ANALYZE_SCAN_ROWS)

    @api.model
    def _copy_scan_rows(self, columns, vals_list):
        """``COPY`` the scanned values into the temporary table ``crm_guardian_scan_rows``
        (the fastest way into PostgreSQL: one round trip for any number of rows)."""
        cr = self.env.cr
        self._create_scan_rows_table(columns)
        names = ["key", *(fname for fname, _type in columns)]
        booleans = [
            (index, fname)
            for index, (fname, column_type) in enumerate(columns, start=1)  # 0: the key
            if column_type == "bool"
        ]

        def row(vals):
            # the ORM writes False as NULL, but in boolean columns
            values = [None if value is False else value for value in map(vals.get, names)]
            for index, name in booleans:
                values[index] = vals.get(name)
            return values

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows(map(row, vals_list))
        buffer.seek(0)
        cr.copy_expert(
            SQL(
                "COPY crm_guardian_scan_rows (%s) FROM STDIN WITH (FORMAT csv)",
                SQL(", ").join(SQL.identifier(name) for name in names),
            ).code,
            buffer,
        )
        # a temporary table has no statistics: without them the merge plans badly
        cr.execute(ANALYZE_SCAN_ROWS)

    @api.model
    def _reopen_reason(self, vals, dismissed_level, dismiss_until, today):
        """Why a dismissed finding re-opens (a sentence), or ``None`` if it stays."""
        if dismiss_until and dismiss_until <= today:
            return self.env._(
                "Re-opened: the dismissal ended on %(date)s.",
                date=format_date(self.env, dismiss_until),
            )
        level = vals.get("severity_level") or 0
        if level > (dismissed_level or 0):
            return self.env._(
                "Re-opened: the evidence got worse (level %(new)s > %(old)s): %(reason)s",
                new=level,
                old=dismissed_level or 0,
                reason=vals.get("reason") or "",
            )
        return None

    @api.model
    def _sql_columns(self, fnames):
        """``[(fname, column type)]`` of the stored finding fields among ``fnames``."""
        Finding = self.env["crm.guardian.finding"]
        return [
            (fname, Finding._fields[fname].column_type[1])
            for fname in sorted(fnames)
            if fname in Finding._fields
            and Finding._fields[fname].store
            and Finding._fields[fname].column_type
        ]

    @api.model
    def _sql_value(self, value):
        # the ORM writes False as NULL for every column type but booleans
        return None if value is False else value

    @api.model
    def _prepare_sync_vals(self, vals):
        """``vals`` as SQL values: member lists as ``member_res_ids``, the reason's facts
        as JSON text (keys sorted: the same facts, the same fingerprint)."""
        vals = dict(vals)
        if "reason_params" in vals:
            vals["reason_params"] = json.dumps(vals["reason_params"] or {}, sort_keys=True)
        for fname in ("lead_ids", "partner_ids"):
            if fname in vals:
                vals["member_res_ids"] = ",".join(str(i) for i in sorted(vals.pop(fname)))
        return vals
