from odoo.tests import tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobReport(ServiceDeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.job = cls._create_job(
            item_type="Phone",
            item_brand="Acme",
            item_model="X1",
            item_serial="IMEI-42",
            category_id=cls.category.id,
            job_properties={"imei": "3544-IMEI-PROP"},
            description="<p>Screen does not turn on</p>",
            customer_note="<p>Customer visible remark</p>",
            internal_note="<p>SECRET internal remark</p>",
            contact_id=cls.contact_a.id,
        )

    def test_job_sheet_html(self):
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("service_desk.action_report_service_job", self.job.ids)[0]
            .decode()
        )
        for text in (
            self.job.name,
            "Fix-It Customer Ltd",
            "Ann Contact",
            "Acme",
            "IMEI-42",
            "3544-IMEI-PROP",
            "Screen does not turn on",
            "Customer visible remark",
            "Customer signature",
            self.job.checklist_line_ids[:1].name,
        ):
            self.assertIn(text, html)
        self.assertNotIn("SECRET internal remark", html)

    def test_job_sheet_html_batch(self):
        job_2 = self._create_job(title="Second", item_serial="IMEI-SECOND")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("service_desk.action_report_service_job", (self.job | job_2).ids)[0]
            .decode()
        )
        self.assertIn("IMEI-42", html)
        self.assertIn("IMEI-SECOND", html)

    def test_report_bound_to_job(self):
        report = self.env.ref("service_desk.action_report_service_job")
        self.assertEqual(report.binding_model_id.model, "service.job")

    def test_job_sheet_terms_and_qr(self):
        self.env.company.service_job_terms = "<p>Unclaimed items are kept 90 days</p>"
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("service_desk.public_tracking", "True")
        ICP.set_param("service_desk.job_sheet_qr", "False")
        Report = self.env["ir.actions.report"]
        html = Report._render_qweb_html("service_desk.action_report_service_job", self.job.ids)[0]
        self.assertIn("Unclaimed items are kept 90 days", html.decode())
        self.assertNotIn("barcode_type=QR", html.decode())
        ICP.set_param("service_desk.job_sheet_qr", "True")
        html = Report._render_qweb_html("service_desk.action_report_service_job", self.job.ids)[0]
        self.assertIn("barcode_type=QR", html.decode())
