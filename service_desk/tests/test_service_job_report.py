import re

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobReport(ServiceDeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.lang_fr").active = True
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.category.job_properties_definition = [
            {"name": "imei", "string": "IMEI", "type": "char"},
            {"name": "water", "string": "Water Damage", "type": "boolean"},
            {"name": "backup", "string": "Backup Wanted", "type": "boolean"},
            {
                "name": "grade",
                "string": "Screen Grade",
                "type": "selection",
                "selection": [["original", "Original part"], ["oem", "OEM part"]],
            },
            {"name": "bought", "string": "Purchase Date", "type": "date"},
            {"name": "ram", "string": "RAM", "type": "integer"},
            {"name": "empty", "string": "Never Filled", "type": "char"},
        ]
        cls.job = cls._create_job(
            user=cls.technician,
            item_type="Phone",
            item_brand="Acme",
            item_model="X1",
            item_serial="IMEI-42",
            item_accessories="Charger and blue case",
            item_condition="Scratched back",
            category_id=cls.category.id,
            job_properties={
                "imei": "3544-IMEI-PROP",
                "water": True,
                "backup": False,
                "grade": "oem",
                "bought": "2025-03-14",
                "ram": 8,
            },
            description="<p>Screen does not turn on</p>",
            diagnosis_summary="Backlight fuse blown",
            fault_found="Shorted backlight driver",
            suggested_solution="Replace the display assembly",
            customer_note="<p>Customer visible remark</p>",
            internal_note="<p>SECRET internal remark</p>",
            contact_id=cls.contact_a.id,
        )
        cls.lines = cls.job.checklist_line_ids
        cls.lines[0].with_user(cls.technician).is_done = True

    def _html(self, report="service_desk.action_report_service_job", jobs=None, user=None):
        Report = self.env["ir.actions.report"].with_user(user or self.technician)
        return Report._render_qweb_html(report, (jobs or self.job).ids)[0].decode()

    @staticmethod
    def _row(html, label):
        """The text of the table row whose header is ``label``."""
        match = re.search(rf"<th[^>]*>{re.escape(label)}</th>\s*<td[^>]*>(.*?)</td>", html, re.S)
        return match and match.group(1).strip()

    def test_job_sheet_html(self):
        html = self._html()
        for text in (
            self.job.name,
            "Fix-It Customer Ltd",
            "Ann Contact",
            "Acme",
            "IMEI-42",
            "Screen does not turn on",
            "Customer visible remark",
            "Customer signature",
            "Tina Technician",
        ):
            self.assertIn(text, html)
        self.assertNotIn("SECRET internal remark", html)

    def test_job_sheet_properties_as_people_read_them(self):
        html = self._html()
        self.assertEqual(self._row(html, "IMEI"), "3544-IMEI-PROP")
        self.assertEqual(self._row(html, "Water Damage"), "Yes")
        self.assertEqual(self._row(html, "Backup Wanted"), "No")
        self.assertEqual(self._row(html, "Screen Grade"), "OEM part")
        self.assertEqual(self._row(html, "Purchase Date"), "03/14/2025")
        self.assertEqual(self._row(html, "RAM"), "8")
        self.assertNotIn("Never Filled", html)
        self.assertNotIn("True", html)
        self.assertNotIn("False", html)
        # Printed for a customer who reads French: the date in the French format.
        self.customer.lang = "fr_FR"
        self.assertIn("14/03/2025", self._html())

    def test_job_sheet_diagnosis(self):
        html = self._html()
        for text in (
            "Backlight fuse blown",
            "Shorted backlight driver",
            "Replace the display assembly",
        ):
            self.assertIn(text, html)

    def test_job_sheet_checklist_boxes_with_who_and_when(self):
        html = self._html()
        self.assertNotIn("[x]", html)
        self.assertNotIn("[ ]", html)
        done = re.findall(r'<tr class="o_service_checklist_done">(.*?)</tr>', html, re.S)
        todo = re.findall(r'<tr class="o_service_checklist_todo">(.*?)</tr>', html, re.S)
        self.assertEqual(len(done), 1)
        self.assertEqual(len(todo), len(self.lines) - 1)
        self.assertIn("fa-check-square-o", done[0])
        self.assertIn(self.lines[0].name, done[0])
        self.assertIn("Tina Technician", done[0])
        day = self.lines[0].done_date.strftime("%m/%d/%Y")
        self.assertIn(day, done[0])
        self.assertIn("fa-square-o", todo[0])
        self.assertNotIn("Tina Technician", todo[0])

    def test_job_sheet_html_batch(self):
        job_2 = self._create_job(user=self.technician, title="Second", item_serial="IMEI-SECOND")
        html = self._html(jobs=self.job | job_2)
        self.assertIn("IMEI-42", html)
        self.assertIn("IMEI-SECOND", html)

    def test_reports_bound_to_job(self):
        for xmlid in ("action_report_service_job", "action_report_service_job_receipt"):
            report = self.env.ref(f"service_desk.{xmlid}")
            self.assertEqual(report.binding_model_id.model, "service.job")
        receipt = self.env.ref("service_desk.action_report_service_job_receipt")
        self.assertEqual(receipt.paperformat_id.format, "A5")

    def test_job_sheet_terms_and_qr(self):
        self.env.company.service_job_terms = "<p>Unclaimed items are kept 90 days</p>"
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("service_desk.public_tracking", "True")
        ICP.set_param("service_desk.job_sheet_qr", "False")
        html = self._html()
        self.assertIn("Unclaimed items are kept 90 days", html)
        self.assertNotIn("barcode_type=QR", html)
        ICP.set_param("service_desk.job_sheet_qr", "True")
        html = self._html()
        self.assertIn("barcode_type=QR", html)
        self.assertIn(f"/service/track/{self.job.id}/", html)

    def test_intake_receipt(self):
        self.env.company.service_job_terms = "<p>Unclaimed items are kept 90 days</p>"
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("service_desk.public_tracking", "True")
        ICP.set_param("service_desk.job_sheet_qr", "True")
        html = self._html("service_desk.action_report_service_job_receipt")
        for text in (
            "Intake Receipt",
            self.job.name,
            self.env.company.name,
            "Fix-It Customer Ltd",
            "Phone Acme X1",
            "IMEI-42",
            "Screen does not turn on",
            "Charger and blue case",
            "Scratched back",
            "barcode_type=QR",
            f"/service/track/{self.job.id}/",
            "Unclaimed items are kept 90 days",
        ):
            self.assertIn(text, html)
        # What the customer leaves, not the workshop's notes.
        for text in ("SECRET internal remark", "Shorted backlight driver", self.lines[0].name):
            self.assertNotIn(text, html)

    def test_pdfs_render(self):
        # Without force_report_rendering, tests get the HTML instead of the PDF.
        Report = (
            self.env["ir.actions.report"]
            .with_user(self.technician)
            .with_context(force_report_rendering=True)
        )
        for report in ("action_report_service_job", "action_report_service_job_receipt"):
            pdf, kind = Report._render_qweb_pdf(f"service_desk.{report}", self.job.ids)
            self.assertEqual(kind, "pdf")
            self.assertTrue(pdf.startswith(b"%PDF"))

    def test_reports_respect_record_rules(self):
        other = self._create_job(user=self.technician_2, title="Not yours")
        for report in ("action_report_service_job", "action_report_service_job_receipt"):
            with self.assertRaises(AccessError):
                self._html(f"service_desk.{report}", jobs=other)
