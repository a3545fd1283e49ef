from odoo import api, fields, models
from odoo.exceptions import UserError

# Areas whose alerts only administrators may see (the rest: Guardian managers).
ADMIN_ONLY_AREAS = ("security", "privacy")


class CrmGuardianAlert(models.Model):
    """A setup alert: a risky configuration or automation gap, found by a check.

    Checks are methods named in ``_alert_definitions()``; another addon adds one by
    extending that list and defining the method. A check returns ``None`` when all is
    well, ``False`` when it does not apply (the module behind it is not installed), or
    a dict with ``count``, ``figure`` and optionally ``res_model``/``domain`` (the list
    the button opens). The guardian never changes a setting: alerts are read-only hints.
    """

    _name = "crm.guardian.alert"
    _description = "Guardian Setup Alert"
    _order = "state_sequence, severity_sequence, area, id"
    _rec_name = "name"

    code = fields.Char(required=True, readonly=True, index=True)
    name = fields.Char(required=True, readonly=True, translate=True)
    area = fields.Selection(
        [
            ("customers", "Customers / Portal"),
            ("privacy", "Privacy"),
            ("leads", "Leads"),
            ("helpdesk", "Helpdesk"),
            ("finance", "Finance"),
            ("scheduler", "Scheduler"),
            ("email", "Email"),
            ("integrations", "Integrations"),
            ("security", "Security"),
        ],
        required=True,
        readonly=True,
    )
    severity = fields.Selection(
        [("info", "Info"), ("warning", "Warning"), ("danger", "Critical")],
        required=True,
        readonly=True,
    )
    severity_sequence = fields.Integer(compute="_compute_sequences", store=True)
    admin_only = fields.Boolean(
        compute="_compute_admin_only",
        store=True,
        index=True,
        help="Security and privacy alerts are shown to administrators only.",
    )
    explanation = fields.Text(readonly=True, translate=True)
    fix_hint = fields.Text(string="How to fix", readonly=True, translate=True)
    figure = fields.Char(readonly=True, help="The figure behind the alert.")
    count = fields.Integer(readonly=True)
    res_model = fields.Char(string="Model to review", readonly=True)
    domain = fields.Char(readonly=True)
    action_xmlid = fields.Char(string="Settings action", readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("snoozed", "Snoozed"), ("resolved", "Resolved")],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    state_sequence = fields.Integer(compute="_compute_sequences", store=True)
    snooze_note = fields.Text(readonly=True)
    snooze_until = fields.Date(readonly=True)
    snoozed_by_id = fields.Many2one("res.users", readonly=True)
    first_seen = fields.Datetime(readonly=True)
    last_checked = fields.Datetime(readonly=True)

    _sql_constraints = [("code_unique", "unique(code)", "A setup alert exists once per check.")]

    @api.depends("severity", "state")
    def _compute_sequences(self):
        severities = {"danger": 0, "warning": 1, "info": 2}
        states = {"open": 0, "snoozed": 1, "resolved": 2}
        for alert in self:
            alert.severity_sequence = severities.get(alert.severity, 3)
            alert.state_sequence = states.get(alert.state, 3)

    @api.depends("area")
    def _compute_admin_only(self):
        for alert in self:
            alert.admin_only = alert.area in ADMIN_ONLY_AREAS

    # ------------------------------------------------------------
    # Checks registry
    # ------------------------------------------------------------

    def _alert_definitions(self):
        """Every setup check: code, area, severity, texts and the method that runs it."""
        return [
            {
                "code": "portal_signup_without_captcha",
                "area": "customers",
                "severity": "warning",
                "name": self.env._("Free sign-up is open without a captcha"),
                "explanation": self.env._(
                    "Anyone can create a portal account, and no captcha protects the sign-up "
                    "form: bots can create accounts in bulk."
                ),
                "fix_hint": self.env._(
                    "Settings > Permissions: set Customer Account to 'On invitation', or install "
                    "and configure reCAPTCHA or Cloudflare Turnstile."
                ),
                "method": "_alert_portal_signup_without_captcha",
                "action_xmlid": "base_setup.action_general_configuration",
            },
            {
                "code": "privacy_lookup_missing",
                "area": "privacy",
                "severity": "info",
                "name": self.env._("No privacy (GDPR) lookup tool"),
                "explanation": self.env._(
                    "Without Privacy Lookup you cannot find and anonymise every record about a "
                    "person who asks (GDPR right of access and erasure)."
                ),
                "fix_hint": self.env._("Install the 'Privacy Lookup' app (privacy_lookup)."),
                "method": "_alert_privacy_lookup_missing",
                "action_xmlid": "base.open_module_tree",
            },
            {
                "code": "leads_unassigned_piling_up",
                "area": "leads",
                "severity": "warning",
                "name": self.env._("Unassigned leads pile up while automatic assignment is off"),
                "explanation": self.env._(
                    "Open leads without a salesperson wait for someone to pick them up, and "
                    "rule-based assignment is switched off."
                ),
                "fix_hint": self.env._(
                    "CRM > Configuration > Settings: enable Rule-Based Assignment, or assign "
                    "the leads by hand."
                ),
                "method": "_alert_leads_unassigned_piling_up",
            },
            {
                "code": "export_many_users",
                "area": "privacy",
                "severity": "warning",
                "name": self.env._("Many users may export all data"),
                "explanation": self.env._(
                    "Export lets a user download every record they can read as a spreadsheet: "
                    "the more users hold it, the easier a data leak."
                ),
                "fix_hint": self.env._(
                    "Settings > Users: remove 'Access to export feature' from users who do not "
                    "need it."
                ),
                "method": "_alert_export_many_users",
            },
            {
                "code": "finance_no_default_payment_terms",
                "area": "finance",
                "severity": "info",
                "name": self.env._("No default payment terms"),
                "explanation": self.env._(
                    "Customers without payment terms get invoices due immediately, which makes "
                    "overdue follow-up noisy."
                ),
                "fix_hint": self.env._(
                    "Invoicing > Configuration > Settings: set Default Payment Terms for customers."
                ),
                "method": "_alert_finance_no_default_payment_terms",
                "action_xmlid": "account.action_account_config",
            },
            {
                "code": "finance_old_draft_invoices",
                "area": "finance",
                "severity": "warning",
                "name": self.env._("Draft invoices are piling up"),
                "explanation": self.env._(
                    "Customer invoices have stayed in draft for over 30 days."
                ),
                "fix_hint": self.env._("Post or cancel the old draft invoices."),
                "method": "_alert_finance_old_draft_invoices",
            },
            {
                "code": "finance_no_payment_provider",
                "area": "finance",
                "severity": "warning",
                "name": self.env._("Online payment is installed but no provider is enabled"),
                "explanation": self.env._(
                    "Customers cannot pay quotations and invoices online: no payment provider "
                    "is enabled or in test mode."
                ),
                "fix_hint": self.env._(
                    "Invoicing > Configuration > Payment Providers: enable one."
                ),
                "method": "_alert_finance_no_payment_provider",
                "action_xmlid": "payment.action_payment_provider",
            },
            {
                "code": "scheduler_not_running",
                "area": "scheduler",
                "severity": "danger",
                "name": self.env._("Scheduled actions are not running"),
                "explanation": self.env._(
                    "Active scheduled actions are more than a day late: the scheduler (cron "
                    "worker) is probably not running, so reminders, digests and scans stop."
                ),
                "fix_hint": self.env._(
                    "Check that the Odoo server runs with cron threads (max_cron_threads > 0) "
                    "or a cron worker."
                ),
                "method": "_alert_scheduler_not_running",
            },
            {
                "code": "scheduler_failing_actions",
                "area": "scheduler",
                "severity": "warning",
                "name": self.env._("Scheduled actions keep failing"),
                "explanation": self.env._(
                    "These scheduled actions failed several times in a row; Odoo deactivates "
                    "an action that keeps failing."
                ),
                "fix_hint": self.env._(
                    "Open the action, read the server log for its error and fix it."
                ),
                "method": "_alert_scheduler_failing_actions",
            },
            {
                "code": "scheduler_guardian_disabled",
                "area": "scheduler",
                "severity": "warning",
                "name": self.env._("The guardian's own scheduled actions are disabled"),
                "explanation": self.env._(
                    "The nightly scan, digests or auto-activities will not run: findings and "
                    "alerts go stale."
                ),
                "fix_hint": self.env._("Settings > Technical > Scheduled Actions: activate them."),
                "method": "_alert_scheduler_guardian_disabled",
            },
            {
                "code": "email_no_outgoing_server",
                "area": "email",
                "severity": "danger",
                "name": self.env._("No outgoing mail server"),
                "explanation": self.env._(
                    "No outgoing mail server is configured: quotations, invoices and digests "
                    "are not delivered."
                ),
                "fix_hint": self.env._("Settings > Technical > Outgoing Mail Servers: add one."),
                "method": "_alert_email_no_outgoing_server",
                "action_xmlid": "base.action_ir_mail_server_list",
            },
            {
                "code": "email_queue_stuck",
                "area": "email",
                "severity": "warning",
                "name": self.env._("Outgoing mail is stuck in the queue"),
                "explanation": self.env._("Emails have been waiting to be sent for over an hour."),
                "fix_hint": self.env._(
                    "Check the outgoing mail server and that the 'Mail: Email Queue Manager' "
                    "scheduled action runs."
                ),
                "method": "_alert_email_queue_stuck",
            },
            {
                "code": "email_recent_errors",
                "area": "email",
                "severity": "warning",
                "name": self.env._("Emails failed recently"),
                "explanation": self.env._("Emails could not be delivered in the last 7 days."),
                "fix_hint": self.env._(
                    "Open the failed emails, read the error and retry or fix them."
                ),
                "method": "_alert_email_recent_errors",
            },
            {
                "code": "email_no_alias_domain",
                "area": "email",
                "severity": "info",
                "name": self.env._("No alias / catch-all domain"),
                "explanation": self.env._(
                    "Without an alias domain, customer replies cannot reach Odoo's chatter and "
                    "bounces are not tracked."
                ),
                "fix_hint": self.env._("Settings > General Settings > Alias Domain: set one."),
                "method": "_alert_email_no_alias_domain",
                "action_xmlid": "base_setup.action_general_configuration",
            },
            {
                "code": "email_key_templates_missing",
                "area": "email",
                "severity": "warning",
                "name": self.env._("Key email templates are missing or archived"),
                "explanation": self.env._(
                    "The quotation or invoice email template is missing or archived: sending "
                    "those documents by email falls back to a blank message."
                ),
                "fix_hint": self.env._(
                    "Settings > Technical > Email Templates: unarchive them (or upgrade the "
                    "Sales / Invoicing apps to restore them)."
                ),
                "method": "_alert_email_key_templates_missing",
            },
            {
                "code": "integration_base_url",
                "area": "integrations",
                "severity": "warning",
                "name": self.env._("The web base URL is not a public https address"),
                "explanation": self.env._(
                    "Links in emails, portal invitations and payment returns are built from "
                    "web.base.url: on http they travel unencrypted, on localhost they do not "
                    "work for anyone else."
                ),
                "fix_hint": self.env._(
                    "Settings > Technical > System Parameters: set web.base.url to the public "
                    "https address (and web.base.url.freeze)."
                ),
                "method": "_alert_integration_base_url",
                "action_xmlid": "base.ir_config_list_action",
            },
            {
                "code": "integration_captcha_without_keys",
                "area": "integrations",
                "severity": "warning",
                "name": self.env._("A captcha module is installed without keys"),
                "explanation": self.env._(
                    "The captcha cannot protect forms until its keys are set."
                ),
                "fix_hint": self.env._(
                    "Settings > Integrations: enter the captcha site and secret keys."
                ),
                "method": "_alert_integration_captcha_without_keys",
                "action_xmlid": "base_setup.action_general_configuration",
            },
            {
                "code": "security_admins_without_2fa",
                "area": "security",
                "severity": "danger",
                "name": self.env._("Administrators without two-factor authentication"),
                "explanation": self.env._(
                    "An administrator account protected by a password alone is one phishing "
                    "email away from the whole database."
                ),
                "fix_hint": self.env._(
                    "Install 'Two-Factor Authentication' (auth_totp) and ask each administrator "
                    "to enable it in their preferences; consider enforcing it for all users."
                ),
                "method": "_alert_security_admins_without_2fa",
            },
            {
                "code": "security_admins_unused",
                "area": "security",
                "severity": "warning",
                "name": self.env._("Administrator accounts unused for 90 days"),
                "explanation": self.env._(
                    "Dormant administrator accounts are a classic way in: nobody notices when "
                    "they are used."
                ),
                "fix_hint": self.env._(
                    "Archive the accounts or remove their administrator rights."
                ),
                "method": "_alert_security_admins_unused",
            },
            {
                "code": "security_users_without_groups",
                "area": "security",
                "severity": "info",
                "name": self.env._("Internal users with no application access"),
                "explanation": self.env._(
                    "These internal users hold no group beyond the basics: they count as paid "
                    "users and can log in, yet have no application to work with."
                ),
                "fix_hint": self.env._("Give them the access they need, or archive them."),
                "method": "_alert_security_users_without_groups",
            },
            {
                "code": "security_admin_default_password",
                "area": "security",
                "severity": "danger",
                "name": self.env._("The 'admin' account still accepts the default password"),
                "explanation": self.env._(
                    "Anyone who tries the login 'admin' with the password 'admin' gets full "
                    "control of the database."
                ),
                "fix_hint": self.env._("Change the password of the 'admin' user now."),
                "method": "_alert_security_admin_default_password",
            },
            {
                "code": "security_database_manager_exposed",
                "area": "security",
                "severity": "danger",
                "name": self.env._(
                    "The database manager is exposed with the default master password"
                ),
                "explanation": self.env._(
                    "The database manager (/web/database/manager) is reachable and its master "
                    "password is the default: anyone can back up, duplicate or drop databases."
                ),
                "fix_hint": self.env._(
                    "Set admin_passwd in the server configuration and start Odoo with "
                    "list_db = False (or a dbfilter)."
                ),
                "method": "_alert_security_database_manager_exposed",
            },
            {
                "code": "security_login_cooldown_disabled",
                "area": "security",
                "severity": "warning",
                "name": self.env._("Login cooldown is disabled"),
                "explanation": self.env._(
                    "Odoo normally slows down repeated failed logins; with the cooldown off, "
                    "passwords can be guessed at full speed."
                ),
                "fix_hint": self.env._(
                    "System Parameters: remove base.login_cooldown_after and "
                    "base.login_cooldown_duration, or set them above 0."
                ),
                "method": "_alert_security_login_cooldown_disabled",
                "action_xmlid": "base.ir_config_list_action",
            },
        ]

    # ------------------------------------------------------------
    # Refresh
    # ------------------------------------------------------------

    @api.model
    def _refresh_alerts(self):
        """Run every check and bring the alerts up to date. Idempotent: a second run with
        nothing changed writes the same values and creates nothing. Whatever ``self``
        is (a list's selection), every alert is refreshed and only alerts change.
        Alerts whose check no longer applies are deleted only when the current user may
        delete them (the nightly job); otherwise they are marked resolved."""
        now = fields.Datetime.now()
        today = fields.Date.context_today(self)
        Alert = self.env["crm.guardian.alert"]
        # sudo: alerts are the guardian's own records; checks read configuration that a
        # Guardian manager may not read, and store only counts and texts.
        alerts = Alert.sudo().with_context(active_test=False)
        existing = {alert.code: alert for alert in alerts.search([])}
        stale = alerts.browse()
        for definition in self._alert_definitions():
            result = getattr(Alert.sudo(), definition["method"])()
            alert = existing.pop(definition["code"], alerts.browse())
            if result is False:
                stale |= alert  # the module behind the check is not installed
                continue
            values = self._alert_values(definition, result, alert, now, today)
            if alert:
                alert.write({k: v for k, v in values.items() if alert[k] != v})
            else:
                alerts.create(values)
        # Checks that no longer exist (an addon removed): their alerts go too.
        stale |= alerts.browse([alert.id for alert in existing.values()])
        self._remove_stale_alerts(stale, now)
        return True

    @api.model
    def _alert_values(self, definition, result, alert, now, today):
        """Values to write on ``alert`` (empty: a new one) for a check's ``result``."""
        values = {
            key: definition.get(key)
            for key in (
                "code",
                "name",
                "area",
                "severity",
                "explanation",
                "fix_hint",
                "action_xmlid",
            )
        }
        values.update(
            figure=result and result.get("figure"),
            count=result and result.get("count", 0),
            res_model=result and result.get("res_model"),
            domain=result and str(result.get("domain") or []),
            last_checked=now,
        )
        if not result:
            values.update(state="resolved", snooze_until=False, snooze_note=False)
        elif not alert or alert.state == "resolved":
            values.update(state="open", first_seen=now)
        elif alert.state == "snoozed" and alert.snooze_until and alert.snooze_until <= today:
            values["state"] = "open"
        return values

    @api.model
    def _remove_stale_alerts(self, stale, now):
        """Delete the alerts of checks that no longer apply, as far as the current
        user may delete them; resolve the others (a manager's *Refresh*)."""
        deletable = stale.with_env(self.env)._filtered_access("unlink")
        stale.browse(deletable.ids).unlink()
        (stale - stale.browse(deletable.ids)).filtered(lambda a: a.state != "resolved").write(
            {
                "state": "resolved",
                "snooze_until": False,
                "snooze_note": False,
                "count": 0,
                "last_checked": now,
            }
        )

    def action_refresh(self):
        """*Refresh* of the list: every alert, whatever rows are selected."""
        self.env["crm.guardian.alert"].check_access("write")
        self.env["crm.guardian.alert"]._refresh_alerts()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_snooze(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Snooze alert"),
            "res_model": "crm.guardian.alert.snooze",
            "view_mode": "form",
            "target": "new",
            "context": {"default_alert_ids": self.ids},
        }

    def _snooze(self, until, note):
        if not note:
            raise UserError(self.env._("Say why you snooze the alert."))
        if until and until <= fields.Date.context_today(self):
            raise UserError(self.env._("The snooze date must be in the future."))
        open_alerts = self.filtered(lambda alert: alert.state == "open")
        if not open_alerts:
            raise UserError(self.env._("Only open alerts can be snoozed."))
        open_alerts.write(
            {
                "state": "snoozed",
                "snooze_until": until,
                "snooze_note": note,
                "snoozed_by_id": self.env.uid,
            }
        )

    def action_restore(self):
        snoozed = self.filtered(lambda alert: alert.state == "snoozed")
        snoozed.write(
            {"state": "open", "snooze_until": False, "snooze_note": False, "snoozed_by_id": False}
        )
        return True

    def action_open_related(self):
        self.ensure_one()
        if self.res_model:
            return {
                "type": "ir.actions.act_window",
                "name": self.name,
                "res_model": self.res_model,
                "view_mode": "list,form",
                "views": [(False, "list"), (False, "form")],
                "domain": self.domain or [],
                "context": {"active_test": False},
            }
        if self.action_xmlid:
            if self.env.ref(self.action_xmlid, raise_if_not_found=False):
                return self.env["ir.actions.actions"]._for_xml_id(self.action_xmlid)
        raise UserError(self.env._("There is nothing to open for this alert."))
