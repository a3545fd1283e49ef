from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from odoo import fields, models
from odoo.tools import config
from odoo.tools.config import crypt_context

# Thresholds of the setup checks; documented in readme/CONFIGURE.md.
UNASSIGNED_LEADS_LIMIT = 20
EXPORT_USERS_LIMIT = 5
EXPORT_USERS_SHARE = 0.25
DRAFT_INVOICE_DAYS = 30
CRON_LATE_DAYS = 1
CRON_FAILURES = 3
MAIL_QUEUE_HOURS = 1
MAIL_ERROR_DAYS = 7
ADMIN_IDLE_DAYS = 90
DEFAULT_PASSWORDS = ("admin",)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
KEY_TEMPLATES = ("sale.email_template_edi_sale", "account.email_template_edi_invoice")


class CrmGuardianAlert(models.Model):
    """The setup checks. Each runs as superuser (see ``_refresh_alerts``) and reads only:
    it returns None (all well), False (not applicable) or the figure behind the alert."""

    _inherit = "crm.guardian.alert"

    def _installed(self, module):
        return module in self.env["ir.module.module"]._installed()

    def _param(self, key, default=None):
        return self.env["ir.config_parameter"].get_param(key, default)

    def _internal_users(self):
        return self.env["res.users"].search([("share", "=", False)])

    def _admins(self):
        return self._internal_users().filtered(lambda user: user._is_system())

    def _captcha_configured(self):
        recaptcha = self._installed("google_recaptcha") and self._param("recaptcha_public_key")
        turnstile = self._installed("website_cf_turnstile") and self._param("cf.turnstile_site_key")
        return bool(recaptcha or turnstile)

    def _found(self, count, figure, res_model=None, domain=None):
        # Dates become strings, so that the stored domain is a literal the web client reads.
        domain = [
            (name, operator, str(value) if isinstance(value, (date, datetime)) else value)
            for name, operator, value in domain or []
        ]
        return {"count": count, "figure": figure, "res_model": res_model, "domain": domain}

    # Customers / portal ------------------------------------------------

    def _alert_portal_signup_without_captcha(self):
        if not self._installed("auth_signup"):
            return False
        if self._param("auth_signup.invitation_scope", "b2b") != "b2c":
            return None
        if self._captcha_configured():
            return None
        return self._found(1, self.env._("Free sign-up is on, no captcha configured"))

    def _alert_privacy_lookup_missing(self):
        if self._installed("privacy_lookup"):
            return None
        return self._found(1, self.env._("Privacy Lookup is not installed"))

    # Leads -------------------------------------------------------------

    def _alert_leads_unassigned_piling_up(self):
        if self._param("crm.lead.auto.assignment"):
            return None
        domain = [("user_id", "=", False), ("active", "=", True), ("probability", "<", 100)]
        count = self.env["crm.lead"].search_count(domain)
        if count < UNASSIGNED_LEADS_LIMIT:
            return None
        return self._found(
            count,
            self.env._("Open leads without a salesperson: %(count)s", count=count),
            "crm.lead",
            domain,
        )

    def _alert_export_many_users(self):
        internal = self._internal_users()
        exporters = internal.filtered(lambda user: user.has_group("base.group_allow_export"))
        count = len(exporters)
        if count <= EXPORT_USERS_LIMIT or count <= EXPORT_USERS_SHARE * len(internal):
            return None
        return self._found(
            count,
            self.env._(
                "Internal users who may export data: %(count)s of %(total)s",
                count=count,
                total=len(internal),
            ),
            "res.users",
            [("id", "in", exporters.ids)],
        )

    # Finance -----------------------------------------------------------

    def _alert_finance_no_default_payment_terms(self):
        field = self.env["res.partner"]._fields.get("property_payment_term_id")
        if not field:
            return False
        # A handful of companies at most.
        companies = self.env["res.company"].search([])  # pylint: disable=no-search-all
        missing = companies.filtered(
            lambda company: (
                not field.get_company_dependent_fallback(
                    self.env["res.partner"].with_company(company)
                )
            )
        )
        if not missing:
            return None
        return self._found(
            len(missing),
            self.env._(
                "Companies without default customer payment terms: %(count)s",
                count=len(missing),
            ),
        )

    def _alert_finance_old_draft_invoices(self):
        limit = fields.Datetime.now() - timedelta(days=DRAFT_INVOICE_DAYS)
        domain = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "draft"),
            ("create_date", "<", limit),
        ]
        count = self.env["account.move"].search_count(domain)
        if not count:
            return None
        return self._found(
            count,
            self.env._(
                "Draft invoices older than %(days)s days: %(count)s",
                count=count,
                days=DRAFT_INVOICE_DAYS,
            ),
            "account.move",
            domain,
        )

    def _alert_finance_no_payment_provider(self):
        if "payment.provider" not in self.env:
            return False
        if self.env["payment.provider"].search_count(
            [("state", "in", ("enabled", "test"))], limit=1
        ):
            return None
        return self._found(1, self.env._("No payment provider enabled"))

    # Scheduler ---------------------------------------------------------

    def _alert_scheduler_not_running(self):
        limit = fields.Datetime.now() - timedelta(days=CRON_LATE_DAYS)
        domain = [("active", "=", True), ("nextcall", "<", limit)]
        count = self.env["ir.cron"].search_count(domain)
        if not count:
            return None
        return self._found(
            count,
            self.env._("Scheduled actions over a day late: %(count)s", count=count),
            "ir.cron",
            domain,
        )

    def _alert_scheduler_failing_actions(self):
        domain = [("failure_count", ">=", CRON_FAILURES)]
        count = self.env["ir.cron"].with_context(active_test=False).search_count(domain)
        if not count:
            return None
        return self._found(
            count,
            self.env._("Scheduled actions failing repeatedly: %(count)s", count=count),
            "ir.cron",
            domain,
        )

    def _alert_scheduler_guardian_disabled(self):
        cron_ids = (
            self.env["ir.model.data"]
            .search([("module", "like", "crm_guardian%"), ("model", "=", "ir.cron")])
            .mapped("res_id")
        )
        domain = [("id", "in", cron_ids), ("active", "=", False)]
        count = self.env["ir.cron"].with_context(active_test=False).search_count(domain)
        if not count:
            return None
        return self._found(
            count,
            self.env._("Guardian scheduled actions disabled: %(count)s", count=count),
            "ir.cron",
            domain,
        )

    # Email -------------------------------------------------------------

    def _alert_email_no_outgoing_server(self):
        if self.env["ir.mail_server"].search_count([], limit=1):
            return None
        if config.get("smtp_server") not in (None, False, "", "localhost"):
            return None  # a server is set in the Odoo configuration file
        return self._found(1, self.env._("No outgoing mail server"))

    def _alert_email_queue_stuck(self):
        limit = fields.Datetime.now() - timedelta(hours=MAIL_QUEUE_HOURS)
        domain = [("state", "=", "outgoing"), ("create_date", "<", limit)]
        count = self.env["mail.mail"].search_count(domain)
        if not count:
            return None
        return self._found(
            count,
            self.env._("Emails waiting for over an hour: %(count)s", count=count),
            "mail.mail",
            domain,
        )

    def _alert_email_recent_errors(self):
        limit = fields.Datetime.now() - timedelta(days=MAIL_ERROR_DAYS)
        domain = [("state", "=", "exception"), ("create_date", ">=", limit)]
        count = self.env["mail.mail"].search_count(domain)
        if not count:
            return None
        return self._found(
            count,
            self.env._("Emails failed in the last 7 days: %(count)s", count=count),
            "mail.mail",
            domain,
        )

    def _alert_email_no_alias_domain(self):
        if self.env["mail.alias.domain"].search_count([], limit=1):
            return None
        return self._found(1, self.env._("No alias domain"))

    def _alert_email_key_templates_missing(self):
        missing = [
            xmlid
            for xmlid in KEY_TEMPLATES
            if not (
                self.env.ref(xmlid, raise_if_not_found=False)
                and self.env.ref(xmlid).with_context(active_test=False).active
            )
        ]
        if not missing:
            return None
        return self._found(
            len(missing),
            self.env._("Missing or archived: %(templates)s", templates=", ".join(missing)),
        )

    # Integrations ------------------------------------------------------

    def _alert_integration_base_url(self):
        url = urlsplit(self._param("web.base.url") or "")
        if url.hostname in LOOPBACK_HOSTS:
            # Only a problem once people connect from other machines.
            since = fields.Datetime.now() - timedelta(days=30)
            remote = self.env["res.device.log"].search_count(
                [
                    ("last_activity", ">=", since),
                    ("ip_address", "not in", [False, "127.0.0.1", "::1"]),
                ],
                limit=1,
            )
            if not remote:
                return None
            return self._found(
                1,
                self.env._(
                    "web.base.url points at %(host)s while users log in from other machines",
                    host=url.hostname,
                ),
            )
        if url.scheme == "https":
            return None
        return self._found(1, self.env._("web.base.url is not https"))

    def _alert_integration_captcha_without_keys(self):
        unset = []
        if self._installed("google_recaptcha") and not (
            self._param("recaptcha_public_key") and self._param("recaptcha_private_key")
        ):
            unset.append("reCAPTCHA")
        if self._installed("website_cf_turnstile") and not (
            self._param("cf.turnstile_site_key") and self._param("cf.turnstile_secret_key")
        ):
            unset.append("Cloudflare Turnstile")
        if not unset:
            return None
        return self._found(
            len(unset), self.env._("Without keys: %(names)s", names=", ".join(unset))
        )

    # Security ----------------------------------------------------------

    def _alert_security_admins_without_2fa(self):
        admins = self._admins()
        if "totp_enabled" not in admins._fields:
            return self._found(
                len(admins),
                self.env._(
                    "Two-factor authentication is not installed (administrators: %(count)s)",
                    count=len(admins),
                ),
                "res.users",
                [("id", "in", admins.ids)],
            )
        without = admins.filtered(lambda user: not user.totp_enabled)
        if not without:
            return None
        return self._found(
            len(without),
            self.env._(
                "Administrators without two-factor authentication: %(count)s",
                count=len(without),
            ),
            "res.users",
            [("id", "in", without.ids)],
        )

    def _alert_security_admins_unused(self):
        limit = fields.Datetime.now() - timedelta(days=ADMIN_IDLE_DAYS)
        admins = self._admins()
        last_login = dict(
            self.env["res.users.log"]._read_group(
                [("create_uid", "in", admins.ids)], ["create_uid"], ["create_date:max"]
            )
        )
        idle = admins.filtered(lambda user: (last_login.get(user) or user.create_date) < limit)
        if not idle:
            return None
        return self._found(
            len(idle),
            self.env._(
                "Administrators with no login for %(days)s days: %(count)s",
                count=len(idle),
                days=ADMIN_IDLE_DAYS,
            ),
            "res.users",
            [("id", "in", idle.ids)],
        )

    def _alert_security_users_without_groups(self):
        basic = self.env.ref("base.group_user")
        basic |= basic.trans_implied_ids
        users = self._internal_users().filtered(
            lambda user: (
                not (user.groups_id - basic).filtered(
                    lambda group: group.category_id and group.category_id.visible
                )
            )
        )
        if not users:
            return None
        return self._found(
            len(users),
            self.env._("Internal users with no application access: %(count)s", count=len(users)),
            "res.users",
            [("id", "in", users.ids)],
        )

    def _alert_security_admin_default_password(self):
        admin = self.env["res.users"].search([("login", "=", "admin")], limit=1)
        if not admin:
            return None
        # The password hash is never readable through the ORM: read it to verify only.
        self.env.cr.execute("SELECT password FROM res_users WHERE id = %s", [admin.id])
        stored = self.env.cr.fetchone()[0]
        if not stored or not any(
            admin._crypt_context().verify(password, stored) for password in DEFAULT_PASSWORDS
        ):
            return None
        return self._found(1, self.env._("Login 'admin' with password 'admin' works"))

    def _alert_security_database_manager_exposed(self):
        if not config["list_db"]:
            return None
        stored = config["admin_passwd"]
        if stored and not crypt_context.verify("admin", stored):
            return None
        return self._found(1, self.env._("Database manager on, master password 'admin'"))

    def _alert_security_login_cooldown_disabled(self):
        after = self._param("base.login_cooldown_after", "5")
        duration = self._param("base.login_cooldown_duration", "60")
        if after.strip() != "0" and duration.strip() != "0":
            return None
        return self._found(1, self.env._("Failed logins are not slowed down"))
