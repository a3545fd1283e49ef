import re

from odoo.tests import HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

from .common import ServiceDeskCommon

LANGS = ("fr_FR", "de_DE", "es_ES")

# what a customer reads in each language on the job sheet and on the public tracking page
EXPECTED = {
    "fr_FR": {
        "accept": "fr-FR,fr;q=0.9",
        "sheet": ("Fiche d'intervention", "Signature du client", "Technicien :", "Conditions"),
        "stage": "Reçu",
        "report_name": "Fiche d'intervention - ",
        "page": ("Votre intervention", "Appareil", "étapes terminées"),
        "form": ("Référence de l'intervention", "Suivre"),
        "no_match": "Aucune intervention ne correspond à cette référence",
    },
    "de_DE": {
        "accept": "de-DE,de;q=0.9",
        "sheet": ("Auftragsblatt", "Unterschrift des Kunden", "Techniker:", "Geschäftsbedingungen"),
        "stage": "Eingegangen",
        "report_name": "Auftragsblatt - ",
        "page": ("Ihr Serviceauftrag", "Gerät", "Schritte erledigt"),
        "form": ("Auftragsreferenz", "Verfolgen"),
        "no_match": "Kein Auftrag passt zu dieser Referenz",
    },
    "es_ES": {
        "accept": "es-ES,es;q=0.9",
        "sheet": ("Hoja de trabajo", "Firma del cliente", "Técnico:", "Términos y condiciones"),
        "stage": "Recibido",
        "report_name": "Hoja de trabajo - ",
        "page": ("Su orden de servicio", "Artículo", "pasos hechos"),
        "form": ("Referencia de la orden", "Consultar"),
        "no_match": "Ninguna orden coincide con esta referencia",
    },
}


@tagged("post_install", "-at_install")
class TestServiceDeskI18n(HttpCase, ServiceDeskCommon):
    """The French, German and Spanish translations load and reach the customer: job sheet
    in the customer's language, public tracking pages in the browser's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in LANGS:
            cls.env["res.lang"]._activate_lang(code)
            cls.env["ir.module.module"]._load_module_terms(["service_desk"], [code], overwrite=True)
        cls.env["ir.config_parameter"].sudo().set_param("service_desk.public_tracking", "True")
        cls.company.service_job_terms = "<p>Terms of the shop</p>"
        cls.jobs = {}
        for code in LANGS:
            partner = cls.env["res.partner"].create(
                {
                    "name": f"Customer {code}",
                    "email": f"customer.{code}@fixit.example",
                    "lang": code,
                }
            )
            cls.jobs[code] = cls._create_job(
                user=cls.officer,
                partner_id=partner.id,
                category_id=cls.category.id,
                user_id=cls.technician.id,
                item_brand="Acme",
            )

    def test_job_sheet_in_customer_language(self):
        """An officer prints the job sheet: it reads in the customer's language, stage
        included, and the PDF's file name too."""
        Report = self.env["ir.actions.report"].with_user(self.officer)
        report = self.env.ref("service_desk.action_report_service_job")
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                job = self.jobs[code]
                html = Report._render_qweb_html(report.report_name, job.ids)[0].decode()
                for text in expected["sheet"]:
                    self.assertIn(text, html)
                self.assertIn(f">{expected['stage']}<", html)
                self.assertIn(job.name, html)
                self.assertNotIn("Customer signature", html)
                file_name = safe_eval(
                    report.with_context(lang=code).print_report_name, {"object": job}
                )
                self.assertEqual(file_name, expected["report_name"] + job.name)

    def _open_as_browser(self, path, code, **kwargs):
        """A new anonymous visitor whose browser prefers ``code``."""
        headers = {"Accept-Language": EXPECTED[code]["accept"]}
        return self.url_open(path, headers=headers, **kwargs)

    def test_tracking_pages_in_browser_language(self):
        """An anonymous visitor gets the tracking form, its error and the job page in
        the language of their browser."""
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                self.opener.cookies.clear()  # a new visitor: a new session in their language
                job = self.jobs[code]
                form = self._open_as_browser("/service/track", code)
                self.assertEqual(form.status_code, 200)
                for text in expected["form"]:
                    self.assertIn(text, form.text)
                self.assertNotIn("Job reference", form.text)
                csrf = re.search(r'name="csrf_token" value="([^"]*)"', form.text).group(1)
                wrong = self._open_as_browser(
                    "/service/track",
                    code,
                    data={
                        "reference": job.name,
                        "factor": "nobody@example.com",
                        "csrf_token": csrf,
                    },
                )
                self.assertEqual(wrong.status_code, 200)
                self.assertIn(expected["no_match"], wrong.text)
                page = self._open_as_browser(
                    f"/service/track/{job.id}/{job.sudo().tracking_key}", code
                )
                self.assertEqual(page.status_code, 200)
                for text in expected["page"]:
                    self.assertIn(text, page.text)
                self.assertIn(f">{expected['stage']}<", page.text)
                self.assertNotIn("Your service job", page.text)
