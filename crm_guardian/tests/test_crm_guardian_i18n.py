from datetime import timedelta

from odoo.tests import new_test_user, tagged
from odoo.tools import format_date

from .common import GUARDIAN_MANAGE, CrmGuardianCommon

LANGS = ("fr_FR", "de_DE", "es_ES")

# what a user reads in each language: the reason of a lead without phone nor source, the
# name of that check, the section, the digest's greeting, link and subject, the Dismiss
# button and the rules' menu
EXPECTED = {
    "fr_FR": {
        "reason": "Il manque à la piste : téléphone, source.",
        "check": "Piste incomplète",
        "section": "Données incomplètes",
        "greeting": "Bonjour",
        "link": "Ouvrir la liste dans Odoo",
        "subject": "Votre liste de sauvetage CRM : 1 à traiter",
        "dismiss": 'string="Écarter"',
        "dismissed": "Écarté",
        "rule": "Pistes à l'abandon : aucune intervention depuis 14 jours",
    },
    "de_DE": {
        "reason": "Beim Lead fehlt: Telefon, Quelle.",
        "check": "Unvollständiger Lead",
        "section": "Unvollständige Daten",
        "greeting": "Hallo",
        "link": "Liste in Odoo öffnen",
        "subject": "Ihre CRM-Rettungsliste: 1 offen",
        "dismiss": 'string="Verwerfen"',
        "dismissed": "Verworfen",
        "rule": "Vernachlässigte Leads: seit 14 Tagen unbearbeitet",
    },
    "es_ES": {
        "reason": "Al lead le falta: teléfono, origen.",
        "check": "Lead incompleto",
        "section": "Datos incompletos",
        "greeting": "Hola",
        "link": "Abrir la lista en Odoo",
        "subject": "Su lista de rescate del CRM: 1 pendientes",
        "dismiss": 'string="Descartar"',
        "dismissed": "Descartado",
        "rule": "Leads estancados: sin ningún contacto en 14 días",
    },
}


@tagged("post_install", "-at_install")
class TestCrmGuardianI18n(CrmGuardianCommon):
    """The French, German and Spanish translations load and reach what users read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in LANGS:
            cls.env["res.lang"]._activate_lang(code)
            cls.env["ir.module.module"]._load_module_terms(["crm_guardian"], [code], overwrite=True)
        cls.users = {
            code: new_test_user(
                cls.env,
                login=f"cg_i18n_{code}",
                email=f"cg_i18n_{code}@guardian-test.example",
                lang=code,
                groups=f"sales_team.group_sale_manager,{GUARDIAN_MANAGE}",
            )
            for code in LANGS
        }

    def _scan_as(self, user, lead):
        """Scan ``lead_incomplete`` as the web client calls it for ``user`` (their
        language in the context); return the open finding of ``lead``, read as ``user``."""
        self.env["crm.guardian.scan"].with_user(user).with_context(lang=user.lang)._scan(
            checks=["lead_incomplete"], now=self.now + timedelta(days=2)
        )
        return (
            self.open_finding("lead_incomplete", lead).with_user(user).with_context(lang=user.lang)
        )

    def test_finding_reason_in_user_language(self):
        """A manager scanning in their language gets the finding's reason, its check and
        its section in that language."""
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                user = self.users[code]
                lead = self.create_lead(name=f"CG i18n {code}", phone=False, source_id=False)
                finding = self._scan_as(user, lead)
                self.assertEqual(finding.reason, expected["reason"])
                finding = finding.with_context(lang=code)
                checks = dict(finding._fields["check"]._description_selection(finding.env))
                self.assertEqual(checks["lead_incomplete"], expected["check"])
                sections = dict(finding._fields["section"]._description_selection(finding.env))
                self.assertEqual(sections["incomplete"], expected["section"])
                states = dict(finding._fields["state"]._description_selection(finding.env))
                self.assertEqual(states["dismissed"], expected["dismissed"])

    def test_reason_rendered_for_each_reader(self):
        """The nightly scan (no language) stores facts: each reader reads the reason in
        their own language, with dates in their own format."""
        lead = self.create_lead(name="CG i18n facts", phone=False, source_id=False)
        stale = self.create_stale_lead(20)
        self.env["crm.guardian.scan"]._scan(
            checks=["lead_incomplete", "stale_lead"], now=self.now + timedelta(days=2)
        )
        incomplete = self.open_finding("lead_incomplete", lead)
        self.assertEqual(
            incomplete.with_context(lang="en_US").reason, "The lead has no phone, source."
        )
        stale = self.open_finding("stale_lead", stale)
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                reader = self.users[code]
                self.assertEqual(
                    incomplete.with_user(reader).with_context(lang=code).reason,
                    expected["reason"],
                )
                reason = stale.with_user(reader).with_context(lang=code).reason
                date = format_date(stale.with_context(lang=code).env, stale.reference_date)
                self.assertIn(date, reason)
                self.assertNotIn(str(stale.reference_date), reason, "not the ISO date")

    def test_digest_in_recipient_language(self):
        """The daily rescue list reaches each user in their language: subject, body, the
        check's name and the finding's reason."""
        Digest = self.env["crm.guardian.digest"]
        template = self.env.ref("crm_guardian.mail_template_crm_guardian_digest")
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                user = self.users[code]
                lead = self.create_lead(
                    name=f"CG digest {code}", phone=False, source_id=False, user_id=user.id
                )
                self._scan_as(user, lead)
                content = Digest._digest_content("daily", user)
                self.assertEqual(content["count"], 1)
                # as _send_one renders it: the recipient's language in the context
                rendered = template.with_context(lang=user.lang, crm_guardian_digest=content)
                body = rendered._render_field("body_html", user.ids)[user.id]
                subject = rendered._render_field("subject", user.ids)[user.id]
                self.assertEqual(subject, expected["subject"])
                # (the link to the list is the mail layout's button since the digest is in
                # the company's layout: see test_crm_guardian_digest)
                for text in (expected["greeting"], expected["check"]):
                    self.assertIn(text, body)
                self.assertIn(expected["reason"].split(":")[0], body)
                self.assertNotIn("Open the list in Odoo", body)

    def test_views_menus_and_rules_translated(self):
        """The finding form's buttons, the menus and the baseline rules read in each
        language, for a non-admin manager."""
        rule = self.env.ref("crm_guardian.crm_guardian_rule_stale_lead")
        menu = self.env.ref("crm_guardian.crm_guardian_finding_menu")
        findings = {"fr_FR": "Constats", "de_DE": "Befunde", "es_ES": "Hallazgos"}
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                user = self.users[code]
                Finding = self.env["crm.guardian.finding"].with_user(user).with_context(lang=code)
                arch = Finding.get_views([(False, "form")])["views"]["form"]["arch"]
                self.assertIn(expected["dismiss"], arch)
                self.assertNotIn('string="Dismiss"', arch)
                self.assertEqual(menu.with_user(user).with_context(lang=code).name, findings[code])
                self.assertEqual(
                    rule.with_user(user).with_context(lang=code).name, expected["rule"]
                )
