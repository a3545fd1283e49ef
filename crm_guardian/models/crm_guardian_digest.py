import logging

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize, is_html_empty

from .crm_guardian_scan import HIGH_RISK, MEDIUM_RISK

_logger = logging.getLogger(__name__)

DIGEST_ITEM_LIMIT = 20
WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]


class CrmGuardianDigest(models.AbstractModel):
    """The digest service: who gets what, once per period, with a delivery log.

    Digests go to internal users only (never to customers), through Odoo's mail
    templates and outgoing mail. The items of each digest are searched as the
    recipient, so that everyone sees only findings on records they may read.
    """

    _name = "crm.guardian.digest"
    _description = "CRM Guardian Digest Service"

    # ------------------------------------------------------------
    # SETTINGS AND RECIPIENTS
    # ------------------------------------------------------------

    @api.model
    def _param(self, name, default=False):
        # sudo: reading the guardian's own configuration parameters
        return self.env["ir.config_parameter"].sudo().get_param(f"crm_guardian.{name}", default)

    @api.model
    def _internal_users(self, users):
        """Active internal users with an email: digests never reach customers."""
        return users.filtered(
            lambda user: user.active and not user.share and user.id != SUPERUSER_ID
        )

    @api.model
    def _get_manager_recipients(self):
        group = self.env.ref("crm_guardian.group_crm_guardian_manager")
        # sudo: the members of the Manage group, to address the weekly digest
        return self._internal_users(group.sudo().users)

    @api.model
    def _get_item_recipients(self):
        """Guardian users who have open findings assigned to them (nobody else)."""
        # sudo: one grouped query over every open finding, to list their owners
        groups = (
            self.env["crm.guardian.finding"]
            .sudo()
            ._read_group([("state", "=", "open"), ("user_id", "!=", False)], ["user_id"])
        )
        users = self.env["res.users"].sudo().browse([user.id for (user,) in groups])
        viewer_group = self.env.ref("crm_guardian.group_crm_guardian_user")
        return self._internal_users(users.filtered(lambda user: viewer_group in user.groups_id))

    # ------------------------------------------------------------
    # CONTENT (as the recipient)
    # ------------------------------------------------------------

    @api.model
    def _digest_domain(self, kind, user):
        domain = [("state", "=", "open")]
        if kind == "daily":
            domain.append(("user_id", "=", user.id))
        return domain

    @api.model
    def _digest_content(self, kind, user):
        """Counts and top items of the digest of ``user``, searched as ``user``."""
        Finding = self.env["crm.guardian.finding"].with_user(user).with_context(lang=user.lang)
        domain = self._digest_domain(kind, user)
        count = Finding.search_count(domain)
        findings = Finding.search(
            domain, order="risk_score desc, reference_date desc, id desc", limit=DIGEST_ITEM_LIMIT
        )
        check_names = dict(Finding._fields["check"]._description_selection(Finding.env))
        section_names = dict(Finding._fields["section"]._description_selection(Finding.env))
        sections = [
            {"name": section_names.get(section, section), "count": section_count}
            for section, section_count in Finding._read_group(
                domain, ["section"], ["__count"], order="__count desc"
            )
        ]
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        items = [
            {
                "name": finding.name or "",
                "check": check_names.get(finding.check, finding.check),
                "reason": finding._viewer_reason(),
                "risk": finding.risk_score,
                "level": self._risk_level(finding.risk_score),
                "user": finding.user_id.name or "",
                "url": finding._viewer_url(base_url),
            }
            for finding in findings
        ]
        return {
            "kind": kind,
            "count": count,
            "sections": sections,
            "items": items,
            "more": max(0, count - len(items)),
            "list_url": f"{base_url}/odoo/action-crm_guardian.crm_guardian_finding_action"
            if kind != "daily"
            else f"{base_url}/odoo/action-crm_guardian.crm_guardian_finding_action_mine",
        }

    # ------------------------------------------------------------
    # SENDING
    # ------------------------------------------------------------

    @api.model
    def _period(self, kind, today):
        if kind == "weekly":
            year, week, _day = today.isocalendar()
            return f"{year}-W{week:02d}"
        if kind == "daily":
            return fields.Date.to_string(today)
        return False

    @api.model
    def _cron_send_digests(self, today=None):
        """Scheduled digests; the action may run more often than daily: each
        scheduled digest goes out once per period (ISO week, day)."""
        today = today or fields.Date.context_today(self)
        logs = self.env["crm.guardian.digest.log"]
        if self._param("digest_weekly") and str(today.weekday()) == str(
            self._param("digest_weekday", "0")
        ):
            logs |= self._send_digests("weekly", self._get_manager_recipients(), today=today)
        if self._param("digest_daily"):
            logs |= self._send_digests("daily", self._get_item_recipients(), today=today)
        return logs

    @api.model
    def _send_digests(self, kind, users, today=None, scope=None):
        """Send the ``kind`` digest to each of ``users``; return the log lines.

        ``scope`` is the content: "weekly" (every open finding the recipient may
        read) or "daily" (only items assigned to the recipient); it defaults to
        ``kind``. Scheduled kinds skip recipients who already got this period's
        digest; daily digests skip recipients without items.
        """
        today = today or fields.Date.context_today(self)
        scope = scope or kind
        period = self._period(kind, today)
        # sudo: the log is written by the service (cron or manager's manual send)
        Log = self.env["crm.guardian.digest.log"].sudo()
        users = self._internal_users(users)
        if period:
            done = Log.search(
                [
                    ("kind", "=", kind),
                    ("period", "=", period),
                    ("state", "=", "sent"),
                    ("recipient_id", "in", users.ids),
                ]
            ).recipient_id
            users -= done
        logs = Log.browse()
        for user in users:
            content = self._digest_content(scope, user)
            if kind == "daily" and not content["count"]:
                continue
            log = self._send_one(kind, period, user, content)
            if log:
                logs |= log
        return logs

    @api.model
    def _risk_level(self, risk):
        """ "high" (the dashboard's high risk), "medium" or "low": the badge colours."""
        if risk >= HIGH_RISK:
            return "high"
        return "medium" if risk >= MEDIUM_RISK else "low"

    @api.model
    def _in_mail_layout(self, mail, user, content):
        """The digest's body in the company's mail layout, as Odoo's own notifications
        (the layout of activity emails, fluid on a phone): the digest's subject and a
        button to the list on top, the company's name and contacts below."""
        Render = self.env["mail.render.mixin"].with_context(lang=user.lang)
        message = (
            self.env["mail.message"]
            .sudo()
            .new({"body": mail.body_html, "record_name": mail.subject})
        )
        return Render._render_encapsulate(
            "mail.mail_notification_layout",
            mail.body_html,
            add_context={
                "message": message,
                "record_name": mail.subject,
                "company": user.company_id,
                "lang": user.lang,
                "email_notification_force_header": True,
                "email_notification_force_footer": True,
                "has_button_access": True,
                "button_access": {
                    "url": content["list_url"],
                    "title": Render.env._("Open the list"),
                },
                "subtitles": False,
                "is_discussion": False,
                "subtype": False,
                "tracking_values": [],
                "email_add_signature": False,
                "signature": "",
                "is_html_empty": is_html_empty,
            },
        )

    @api.model
    def _send_one(self, kind, period, user, content):
        """Render and send one digest; log it. Returns the log, or nothing if
        another worker already sends this period's digest to ``user``."""
        Log = self.env["crm.guardian.digest.log"].sudo()
        email = email_normalize(user.email)
        values = {
            "kind": kind,
            "period": period,
            "recipient_id": user.id,
            "email": user.email,
            "item_count": content["count"],
            "sent_by_id": self.env.uid,
        }
        if not email:
            return Log.create(
                dict(values, state="failed", error=self.env._("The user has no email address."))
            )
        try:
            with self.env.cr.savepoint():
                # reserve the period first: a second worker waits here, then fails
                log = Log.create(dict(values, state="sent"))
                log.flush_recordset()
        except psycopg2.errors.UniqueViolation:
            return Log.browse()
        template = self.env.ref("crm_guardian.mail_template_crm_guardian_digest")
        try:
            # sudo: rendering our own template, with values already filtered by the
            # recipient's access (see _digest_content); sent to an internal user only
            mail_id = (
                template.sudo()
                .with_context(lang=user.lang, crm_guardian_digest=content)
                .send_mail(
                    user.id,
                    email_values={
                        "recipient_ids": [(6, 0, user.partner_id.ids)],
                        "email_to": False,
                        "email_cc": False,
                    },
                )
            )
            mail = self.env["mail.mail"].sudo().browse(mail_id)
            mail.body_html = self._in_mail_layout(mail, user, content)
            log.mail_id = mail
            mail.send(raise_exception=False)
            mail = mail.exists()
            if mail and mail.state == "exception":
                log.write({"state": "failed", "error": mail.failure_reason or mail.failure_type})
        except (UserError, ValueError) as error:
            _logger.warning("CRM Guardian digest to %s failed: %s", user.login, error)
            log.write({"state": "failed", "error": str(error)})
        return log
