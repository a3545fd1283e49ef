import io
from urllib.parse import quote_plus

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools.pdf import PdfFileReader

from .common import ServiceDeskCommon

MM = 72 / 25.4  # PDF points per millimetre


@tagged("post_install", "-at_install")
class TestServiceJobLabel(HttpCase, ServiceDeskCommon):
    """Item labels, printed by officers for any job and by technicians for their own; a
    server runs (HttpCase) so wkhtmltopdf loads the QR codes as in production."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("service_desk.public_tracking", "True")
        cls.job = cls._create_job(
            user=cls.technician,
            item_type="Phone",
            item_brand="Acme",
            item_model="X1 Pro Max Ultra with a very long model name",
            item_serial="IMEI-3544-0001",
        )
        cls.others = cls.env["service.job"]
        for n in range(25):
            cls.others |= cls._create_job(title=f"Job {n}", item_type="Laptop")

    def _render(self, report, jobs, user, kind="pdf"):
        Report = self.env["ir.actions.report"].with_user(user)
        if kind == "html":
            return Report._render_qweb_html(report, jobs.ids)[0].decode()
        return Report.with_context(force_report_rendering=True)._render_qweb_pdf(report, jobs.ids)[
            0
        ]

    def _page_sizes_mm(self, pdf):
        self.assertTrue(pdf.startswith(b"%PDF"))
        reader = PdfFileReader(io.BytesIO(pdf))
        return [
            (round(float(page.mediabox.width) / MM), round(float(page.mediabox.height) / MM))
            for page in reader.pages
        ]

    def test_label_62x29_content_and_qr(self):
        html = self._render("service_desk.report_service_job_label", self.job, self.officer, "html")
        for text in (
            self.job.name,
            "Fix-It Customer Ltd",
            "Phone Acme X1 Pro",
            "S/N IMEI-3544-0001",
        ):
            self.assertIn(text, html)
        tracking_url = self.job.sudo().tracking_url
        self.assertIn(f"barcode_type=QR&amp;value={quote_plus(tracking_url)}", html)
        # The QR image the PDF loads is the code of that link.
        qr = self.url_open(
            f"/report/barcode/?barcode_type=QR&value={quote_plus(tracking_url)}&width=400&height=400"
        )
        self.assertEqual(qr.headers["Content-Type"], "image/png")
        pdf = self._render(
            "service_desk.report_service_job_label", self.job | self.others[:2], self.officer
        )
        self.assertEqual(self._page_sizes_mm(pdf), [(62, 29)] * 3, "one 62 x 29 mm page a label")

    def test_label_without_public_tracking_opens_the_job(self):
        self.env["ir.config_parameter"].set_param("service_desk.public_tracking", "False")
        html = self._render("service_desk.report_service_job_label", self.job, self.officer, "html")
        self.assertIn(
            quote_plus(f"/odoo/action-service_desk.service_job_action/{self.job.id}"), html
        )
        self.assertNotIn("service%2Ftrack", html)

    def test_a4_sheet_of_3x8_labels(self):
        jobs = self.job | self.others  # 26 labels: a full sheet of 24 and a second one
        html = self._render(
            "service_desk.report_service_job_label_sheet", jobs, self.officer, "html"
        )
        self.assertEqual(html.count('class="o_sd_label"'), 26)
        self.assertEqual(html.count("o_sd_label_sheet"), 2)
        pdf = self._render("service_desk.report_service_job_label_sheet", jobs, self.officer)
        self.assertEqual(self._page_sizes_mm(pdf), [(210, 297)] * 2)

    def test_technician_prints_labels_of_own_jobs_only(self):
        pdf = self._render("service_desk.report_service_job_label", self.job, self.technician)
        self.assertEqual(self._page_sizes_mm(pdf), [(62, 29)])
        with self.assertRaises(AccessError):
            self._render(
                "service_desk.report_service_job_label_sheet",
                self.others[:1],
                self.technician,
                "html",
            )

    def test_printable_from_the_form_and_a_list_selection(self):
        self.authenticate("sd_technician", "sd_technician")
        for xmlid in ("action_report_service_job_label", "action_report_service_job_label_sheet"):
            report = self.env.ref(f"service_desk.{xmlid}")
            self.assertEqual(report.binding_model_id.model, "service.job")
            self.assertEqual(report.binding_type, "report")
        response = self.url_open(f"/report/pdf/service_desk.report_service_job_label/{self.job.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        response = self.url_open(
            f"/report/pdf/service_desk.report_service_job_label/{self.others[0].id}"
        )
        self.assertNotEqual(response.status_code, 200, "not a job of this technician")
