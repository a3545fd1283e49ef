import ast
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import config

GUARDIAN_MANAGE = "crm_guardian.group_crm_guardian_manager"


@tagged("post_install", "-at_install")
class TestCrmGuardianAlert(TransactionCase):
    """Every setup alert fires and clears; snooze/restore and visibility as a Guardian
    manager who is not an administrator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, no_reset_password=True))
        cls.manager = new_test_user(
            cls.env, login="alert_manager", groups=f"base.group_user,{GUARDIAN_MANAGE}"
        )
        cls.admin = new_test_user(
            cls.env, login="alert_admin", groups=f"base.group_system,{GUARDIAN_MANAGE}"
        )
        cls.viewer = new_test_user(
            cls.env,
            login="alert_viewer",
            groups="base.group_user,crm_guardian.group_crm_guardian_user",
        )
        cls.Alert = cls.env["crm.guardian.alert"]
        cls.now = fields.Datetime.now()

    # helpers -----------------------------------------------------------

    def refresh(self):
        self.Alert.with_user(self.admin).action_refresh()

    def alert(self, code):
        return self.Alert.with_context(active_test=False).search([("code", "=", code)])

    def assertFires(self, code, figure=None):
        self.refresh()
        alert = self.alert(code)
        self.assertEqual(alert.state, "open", f"{code} should fire")
        self.assertTrue(alert.figure)
        if figure:
            self.assertIn(figure, alert.figure)
        return alert

    def assertClear(self, code):
        self.refresh()
        alert = self.alert(code)
        self.assertTrue(alert, f"{code} should apply here")
        self.assertEqual(alert.state, "resolved", f"{code} should be clear: {alert.figure}")

    def set_param(self, key, value):
        self.env["ir.config_parameter"].sudo().set_param(key, value)

    def age(self, records, **delta):
        """Move the creation date of records into the past (create_date is not writable)."""
        self.env.flush_all()
        self.env.cr.execute(
            f'UPDATE "{records._table}" SET create_date = %s WHERE id IN %s',
            [self.now - timedelta(**delta), tuple(records.ids)],
        )
        records.invalidate_recordset(["create_date"])

    def set_module_state(self, name, state):
        self.env["ir.module.module"].search([("name", "=", name)]).state = state
        self.env.registry.clear_cache()  # ir.module.module._installed() is cached

    # customers / privacy ------------------------------------------------

    def test_portal_signup_without_captcha(self):
        self.set_param("auth_signup.invitation_scope", "b2c")
        self.assertFires("portal_signup_without_captcha")
        self.set_param("auth_signup.invitation_scope", "b2b")
        self.assertClear("portal_signup_without_captcha")

    def test_portal_signup_with_captcha_keys_is_fine(self):
        self.set_param("auth_signup.invitation_scope", "b2c")
        self.set_module_state("google_recaptcha", "installed")
        self.set_param("recaptcha_public_key", "site-key")
        self.assertClear("portal_signup_without_captcha")

    def test_privacy_lookup_missing(self):
        self.set_module_state("privacy_lookup", "uninstalled")
        self.assertFires("privacy_lookup_missing")
        self.set_module_state("privacy_lookup", "installed")
        self.assertClear("privacy_lookup_missing")

    # leads ---------------------------------------------------------------

    def test_leads_unassigned_piling_up(self):
        self.env["crm.lead"].search([]).active = False
        self.set_param("crm.lead.auto.assignment", False)
        leads = self.env["crm.lead"].create(
            [{"name": f"Unassigned {i}", "user_id": False} for i in range(19)]
        )
        self.assertClear("leads_unassigned_piling_up")
        leads |= self.env["crm.lead"].create({"name": "The twentieth", "user_id": False})
        alert = self.assertFires("leads_unassigned_piling_up", "20")
        self.assertEqual(alert.count, 20)
        self.set_param("crm.lead.auto.assignment", True)
        self.assertClear("leads_unassigned_piling_up")

    def test_export_many_users(self):
        export_group = self.env.ref("base.group_allow_export")
        export_group.users = [Command.clear()]
        self.assertClear("export_many_users")
        internal = self.env["res.users"].search_count([("share", "=", False)])
        needed = max(6, internal // 3 + 1)  # more than 5, and over a quarter of the users
        for i in range(needed):
            new_test_user(
                self.env, login=f"exporter{i}", groups="base.group_user,base.group_allow_export"
            )
        alert = self.assertFires("export_many_users")
        self.assertEqual(alert.count, needed)
        export_group.users = [Command.clear()]
        self.assertClear("export_many_users")

    # finance -------------------------------------------------------------

    def test_no_default_payment_terms(self):
        self.env["ir.default"].search(
            [
                ("field_id.name", "=", "property_payment_term_id"),
                ("field_id.model", "=", "res.partner"),
            ]
        ).unlink()
        self.assertFires("finance_no_default_payment_terms")
        term = self.env.ref("account.account_payment_term_30days")
        for company in self.env["res.company"].search([]):
            self.env["ir.default"].set(
                "res.partner", "property_payment_term_id", term.id, company_id=company.id
            )
        self.assertClear("finance_no_default_payment_terms")

    def test_old_draft_invoices(self):
        domain = [("move_type", "=", "out_invoice"), ("state", "=", "draft")]
        self.env["account.move"].search(domain).unlink()
        partner = self.env["res.partner"].create({"name": "Draft customer"})
        invoice = self.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": partner.id}
        )
        self.age(invoice, days=29)
        self.assertClear("finance_old_draft_invoices")
        self.age(invoice, days=31)
        alert = self.assertFires(
            "finance_old_draft_invoices", "Draft invoices older than 30 days: 1"
        )
        action = alert.with_user(self.manager).action_open_related()
        self.assertEqual(action["res_model"], "account.move")
        self.assertIn(invoice, self.env["account.move"].search(ast.literal_eval(action["domain"])))

    def test_no_payment_provider(self):
        self.env["payment.provider"].search([]).write({"state": "disabled"})
        self.assertFires("finance_no_payment_provider")
        self.env.cr.execute(
            "UPDATE payment_provider SET state = 'test' WHERE id = %s",
            [self.env["payment.provider"].search([], limit=1).id],
        )
        self.env["payment.provider"].invalidate_model(["state"])
        self.assertClear("finance_no_payment_provider")

    # scheduler -----------------------------------------------------------

    def test_scheduler_not_running(self):
        crons = self.env["ir.cron"].search([])
        crons.write({"nextcall": self.now + timedelta(hours=1)})
        self.assertClear("scheduler_not_running")
        crons[0].nextcall = self.now - timedelta(days=2)
        alert = self.assertFires("scheduler_not_running")
        self.assertEqual(alert.count, 1)

    def test_scheduler_failing_actions(self):
        crons = self.env["ir.cron"].with_context(active_test=False).search([])
        crons.write({"failure_count": 0})
        self.assertClear("scheduler_failing_actions")
        crons[0].write({"failure_count": 3, "first_failure_date": self.now})
        self.assertFires("scheduler_failing_actions")

    def test_scheduler_guardian_disabled(self):
        refresh_cron = self.env.ref("crm_guardian.ir_cron_crm_guardian_alert_refresh")
        guardian_crons = (
            self.env["ir.model.data"]
            .search([("module", "like", "crm_guardian%"), ("model", "=", "ir.cron")])
            .mapped("res_id")
        )
        self.env["ir.cron"].browse(guardian_crons).write({"active": True})
        self.assertClear("scheduler_guardian_disabled")
        refresh_cron.active = False
        self.assertFires("scheduler_guardian_disabled")

    # email ---------------------------------------------------------------

    def test_no_outgoing_server(self):
        self.env["ir.mail_server"].search([]).unlink()
        with patch.dict(config.options, {"smtp_server": "localhost"}):
            self.assertFires("email_no_outgoing_server")
            self.env["ir.mail_server"].create(
                {"name": "SMTP", "smtp_host": "smtp.example.com", "smtp_port": 587}
            )
            self.assertClear("email_no_outgoing_server")

    def test_mail_queue_stuck(self):
        self.env["mail.mail"].search([("state", "=", "outgoing")]).unlink()
        mail = self.env["mail.mail"].create({"subject": "Waiting", "email_to": "a@example.com"})
        self.age(mail, minutes=30)
        self.assertClear("email_queue_stuck")
        self.age(mail, hours=2)
        self.assertFires("email_queue_stuck")

    def test_mail_recent_errors(self):
        self.env["mail.mail"].search([("state", "=", "exception")]).unlink()
        self.assertClear("email_recent_errors")
        mail = self.env["mail.mail"].create(
            {"subject": "Bounced", "email_to": "a@example.com", "state": "exception"}
        )
        self.assertFires("email_recent_errors")
        self.age(mail, days=8)
        self.assertClear("email_recent_errors")

    def test_no_alias_domain(self):
        self.env["res.company"].search([]).alias_domain_id = False
        self.env["mail.alias.domain"].search([]).unlink()
        self.assertFires("email_no_alias_domain")
        self.env["mail.alias.domain"].create({"name": "crm.example.com"})
        self.assertClear("email_no_alias_domain")

    def test_key_templates_missing(self):
        template = self.env.ref("sale.email_template_edi_sale")
        template.active = False
        self.assertFires("email_key_templates_missing", "sale.email_template_edi_sale")
        template.active = True
        self.assertClear("email_key_templates_missing")

    # integrations --------------------------------------------------------

    def test_base_url(self):
        self.set_param("web.base.url", "https://crm.example.com")
        self.assertClear("integration_base_url")
        self.set_param("web.base.url", "http://crm.example.com")
        self.assertFires("integration_base_url", "not https")

    def test_base_url_localhost_only_matters_for_remote_logins(self):
        self.set_param("web.base.url", "http://localhost:8069")
        self.env["res.device.log"].search([]).unlink()
        self.assertClear("integration_base_url")
        self.env["res.device.log"].create(
            {
                "session_identifier": "remote",
                "user_id": self.manager.id,
                "ip_address": "203.0.113.5",
                "first_activity": self.now,
                "last_activity": self.now,
            }
        )
        self.assertFires("integration_base_url", "localhost")

    def test_captcha_without_keys(self):
        self.set_module_state("google_recaptcha", "uninstalled")
        self.set_module_state("website_cf_turnstile", "uninstalled")
        self.assertClear("integration_captcha_without_keys")
        self.set_module_state("google_recaptcha", "installed")
        self.set_param("recaptcha_public_key", False)
        self.assertFires("integration_captcha_without_keys", "reCAPTCHA")
        self.set_param("recaptcha_public_key", "site")
        self.set_param("recaptcha_private_key", "secret")
        self.assertClear("integration_captcha_without_keys")

    # security ------------------------------------------------------------

    def _admins(self):
        return (
            self.env["res.users"]
            .search([("share", "=", False)])
            .filtered(lambda user: user._is_system())
        )

    def test_admins_without_2fa(self):
        admins = self._admins()
        self.assertFires("security_admins_without_2fa")
        for admin in admins:
            admin.sudo().totp_secret = "JBSWY3DPEHPK3PXP"
        self.assertClear("security_admins_without_2fa")

    def test_admins_unused(self):
        admins = self._admins()
        self.env["res.users.log"].search([("create_uid", "in", admins.ids)]).unlink()
        self.age(admins, days=100)
        alert = self.assertFires("security_admins_unused")
        self.assertEqual(alert.count, len(admins))
        for admin in admins:
            self.env["res.users.log"].with_user(admin).create({})
        self.assertClear("security_admins_unused")

    def test_users_without_groups(self):
        lonely = new_test_user(self.env, login="lonely", groups="base.group_user")
        alert = self.assertFires("security_users_without_groups")
        self.assertIn(lonely.id, ast.literal_eval(alert.domain)[0][2])
        salesman = self.env.ref("sales_team.group_sale_salesman")
        internal = self.env["res.users"].search([("share", "=", False)])
        internal.write({"groups_id": [Command.link(salesman.id)]})
        self.assertClear("security_users_without_groups")

    def test_admin_default_password(self):
        admin = self.env["res.users"].search([("login", "=", "admin")])
        admin.password = "admin"
        self.assertFires("security_admin_default_password")
        admin.password = "a-long-and-unguessable-passphrase"
        self.assertClear("security_admin_default_password")

    def test_database_manager_exposed(self):
        with patch.dict(config.options, {"list_db": True, "admin_passwd": "admin"}):
            self.assertFires("security_database_manager_exposed")
        with patch.dict(config.options, {"list_db": False, "admin_passwd": "admin"}):
            self.assertClear("security_database_manager_exposed")

    def test_login_cooldown_disabled(self):
        self.set_param("base.login_cooldown_after", "0")
        self.assertFires("security_login_cooldown_disabled")
        self.set_param("base.login_cooldown_after", "5")
        self.assertClear("security_login_cooldown_disabled")

    # refresh, snooze, visibility -----------------------------------------

    def test_refresh_is_idempotent(self):
        self.refresh()
        first = self.Alert.search_read([], ["code", "state", "figure"], order="id")
        self.refresh()
        second = self.Alert.search_read([], ["code", "state", "figure"], order="id")
        self.assertEqual(first, second)
        self.assertEqual(len({row["code"] for row in first}), len(first))

    def test_cron_runs_the_refresh(self):
        self.Alert.search([]).unlink()
        self.env.ref("crm_guardian.ir_cron_crm_guardian_alert_refresh").method_direct_trigger()
        self.assertTrue(self.Alert.search_count([]))

    def test_manager_sees_no_security_alerts(self):
        self.set_param("base.login_cooldown_after", "0")
        self.env["ir.mail_server"].search([]).unlink()
        self.refresh()
        as_manager = self.Alert.with_user(self.manager).search([])
        self.assertTrue(as_manager)
        self.assertNotIn("security", as_manager.mapped("area"))
        self.assertNotIn("privacy", as_manager.mapped("area"))
        as_admin = self.Alert.with_user(self.admin).search([])
        self.assertIn("security_login_cooldown_disabled", as_admin.mapped("code"))
        hidden = self.alert("security_login_cooldown_disabled")
        with self.assertRaises(AccessError):
            hidden.with_user(self.manager).read(["figure"])
        with self.assertRaises(AccessError):
            self.Alert.with_user(self.viewer).search([])

    def test_snooze_and_restore_as_manager(self):
        self.env["ir.mail_server"].search([]).unlink()
        self.refresh()
        alert = self.alert("email_no_outgoing_server").with_user(self.manager)
        self.assertEqual(alert.state, "open")
        action = alert.action_snooze()
        wizard = Form(
            self.env[action["res_model"]].with_user(self.manager).with_context(**action["context"])
        )
        wizard.note = "The SMTP relay arrives next week"
        wizard.until = fields.Date.today() + timedelta(days=7)
        wizard.save().action_snooze()
        self.assertEqual(alert.state, "snoozed")
        self.assertEqual(alert.snoozed_by_id, self.manager)
        self.refresh()
        self.assertEqual(alert.state, "snoozed", "a snooze survives the nightly refresh")
        alert.action_restore()
        self.assertEqual(alert.state, "open")
        self.assertFalse(alert.snooze_note)

    def test_snooze_expires_and_needs_a_note(self):
        self.env["ir.mail_server"].search([]).unlink()
        self.refresh()
        alert = self.alert("email_no_outgoing_server").with_user(self.manager)
        with self.assertRaises(UserError):
            alert._snooze(fields.Date.today() + timedelta(days=3), "")
        with self.assertRaises(UserError):
            alert._snooze(fields.Date.today(), "today is not in the future")
        alert._snooze(fields.Date.today() + timedelta(days=3), "later")
        alert.sudo().snooze_until = fields.Date.today()
        self.refresh()
        self.assertEqual(alert.state, "open", "the snooze ended: the alert is open again")

    def test_snoozed_alert_resolves_when_fixed(self):
        self.env["ir.mail_server"].search([]).unlink()
        self.refresh()
        alert = self.alert("email_no_outgoing_server")
        alert.with_user(self.manager)._snooze(False, "known")
        self.env["ir.mail_server"].create({"name": "SMTP", "smtp_host": "smtp.example.com"})
        self.refresh()
        self.assertEqual(alert.state, "resolved")
        self.assertFalse(alert.snooze_note)

    def test_no_setting_is_changed(self):
        params = self.env["ir.config_parameter"].sudo().search_read([], ["key", "value"])
        crons = self.env["ir.cron"].search_read([], ["active", "nextcall"])
        self.refresh()
        self.assertEqual(
            params, self.env["ir.config_parameter"].sudo().search_read([], ["key", "value"])
        )
        self.assertEqual(crons, self.env["ir.cron"].search_read([], ["active", "nextcall"]))

    def test_dashboard_card(self):
        self.set_param("base.login_cooldown_after", "0")
        self.env["ir.mail_server"].search([]).unlink()
        self.refresh()
        card = self.env.ref("crm_guardian.crm_guardian_section_setup")
        Section = self.env["crm.guardian.section"]
        self.assertNotIn(card, Section.with_user(self.viewer).search([]))
        as_manager = card.with_user(self.manager)
        manager_count = self.Alert.with_user(self.manager).search_count([("state", "=", "open")])
        self.assertEqual(as_manager.open_count, manager_count)
        self.assertGreaterEqual(as_manager.high_risk_count, 1)  # no outgoing mail server
        self.assertEqual(as_manager.open_count_label, str(manager_count))
        self.assertEqual(as_manager.high_risk_count_label, str(as_manager.high_risk_count))
        card.invalidate_recordset(["open_count", "high_risk_count"])
        admin_count = self.Alert.with_user(self.admin).search_count([("state", "=", "open")])
        self.assertEqual(card.with_user(self.admin).open_count, admin_count)
        self.assertGreater(admin_count, manager_count, "security alerts count for admins only")
        action = as_manager.action_open_findings()
        self.assertEqual(action["res_model"], "crm.guardian.alert")
