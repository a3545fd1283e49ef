from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobWarranty(HttpCase, ServiceDeskCommon):
    """Warranty given by closed jobs, claims found by serial / IMEI, not charged."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_parts_and_labour()
        cls.category.warranty_months = 3
        cls.stage_cancelled = cls.env.ref("service_desk.service_stage_cancelled")
        cls.portal_a = new_test_user(
            cls.env,
            login="sd_warranty_portal",
            groups="base.group_portal",
            partner_id=cls.contact_a.id,
        )

    def _closed_job(self, closed_on, serial="IMEI-W-1", user=None, **values):
        """A job of ``serial`` delivered on ``closed_on`` (a date), by technician 2."""
        job = self._create_job(
            user=user or self.technician_2,
            item_serial=serial,
            category_id=self.category.id,
            **values,
        )
        job.stage_id = self.stage_delivered
        job.date_closed = datetime.combine(closed_on, datetime.min.time()) + timedelta(hours=10)
        return job

    def test_closed_job_gives_warranty_end_date(self):
        job = self._closed_job(date(2026, 1, 15))
        self.assertEqual(job.warranty_date_end, date(2026, 4, 15))
        # A product's own period overrides the category's (the longest of the job's products).
        self.part.service_warranty_months = 12
        job_2 = self._create_job(item_serial="IMEI-W-2", category_id=self.category.id)
        self._add_lines(job_2)
        job_2.stage_id = self.stage_delivered
        job_2.date_closed = datetime(2026, 1, 31, 9, 0)
        self.assertEqual(job_2.warranty_date_end, date(2027, 1, 31))
        # Reopened: no warranty; cancelled: none either.
        job_2.stage_id = self.stage_in_progress
        self.assertFalse(job_2.warranty_date_end)
        job_2.stage_id = self.stage_cancelled
        self.assertTrue(job_2.date_closed)
        self.assertFalse(job_2.warranty_date_end)

    def test_warranty_date_boundary(self):
        original = self._closed_job(date(2026, 1, 15))
        probe = self._create_job(item_serial="IMEI-W-1")
        self.assertEqual(probe._find_warranty_job(on_date=date(2026, 4, 15)), original)
        self.assertFalse(probe._find_warranty_job(on_date=date(2026, 4, 16)))
        # The same through the creation of a job: the last day inside, the next day outside.
        today = fields.Date.today()
        inside = self._closed_job(today - relativedelta(months=3), serial="IMEI-IN")
        outside = self._closed_job(
            today - relativedelta(months=3) - timedelta(days=1), serial="IMEI-OUT"
        )
        self.assertEqual(inside.warranty_date_end, today)
        self.assertEqual(outside.warranty_date_end, today - timedelta(days=1))
        claim = self._create_job(user=self.technician, item_serial=" IMEI-IN ")
        self.assertEqual(claim.warranty_job_id, inside)
        self.assertTrue(claim.is_under_warranty)
        self.assertFalse(
            self._create_job(user=self.technician, item_serial="IMEI-OUT").warranty_job_id
        )

    def test_other_company_item_is_not_under_warranty(self):
        other_company = self.env["res.company"].create({"name": "SD Warranty Other Co"})
        self.officer.company_ids |= other_company
        self._closed_job(fields.Date.today(), user=self.officer, company_id=other_company.id)
        job = self._create_job(user=self.officer, item_serial="IMEI-W-1")
        self.assertEqual(job.company_id, self.company)
        self.assertFalse(job.warranty_job_id)

    def test_claim_lines_not_charged_outcome_and_claims_button(self):
        original = self._closed_job(fields.Date.today())
        # A technician who cannot read the original job still gets the claim flagged.
        claim = self._create_job(user=self.technician, item_serial="IMEI-W-1")
        claim = claim.with_user(self.technician)
        self.assertEqual(claim.warranty_job_id, original)
        self.assertFalse(original.with_user(self.technician).has_access("read"))
        form_data = claim.web_read({"warranty_job_id": {"fields": {"display_name": {}}}})
        self.assertEqual(form_data[0]["warranty_job_id"]["display_name"], original.display_name)
        part, labour = self._add_lines(claim, user=self.technician)
        self.assertTrue(part.is_warranty and labour.is_warranty)
        self.assertEqual((part.price_unit, labour.price_unit), (0.0, 0.0))
        self.assertEqual(claim.amount_total, 0.0)
        # Costs and margins are the officers' (see test_service_job_line).
        self.assertEqual(claim.with_user(self.officer).amount_warranty_cost, 60.0 + 37.5)
        self.assertEqual(claim.with_user(self.officer).amount_margin, -97.5)
        self.assertIn(f"Under warranty (job {original.name})", part._get_document_description())
        # The outcome; a refusal needs its reason and makes the lines charged again.
        claim.warranty_outcome = "repaired"
        with self.assertRaisesRegex(ValidationError, "reason"):
            claim.warranty_outcome = "refused"
        claim.write({"warranty_outcome": "refused", "warranty_refusal_reason": "Water damage"})
        self.assertFalse(claim.is_under_warranty)
        self.assertEqual(part.price_unit, 45.0)
        self.assertEqual(claim.amount_untaxed, 180.0)
        self.assertEqual(claim.with_user(self.officer).amount_warranty_cost, 0.0)
        # The original job's smart button lists its claims.
        second = self._create_job(user=self.officer, item_serial="IMEI-W-1")
        original = original.with_user(self.officer)
        self.assertEqual(original.warranty_claim_count, 2)
        action = original.action_view_warranty_claims()
        self.assertEqual(self.env["service.job"].search(action["domain"]), claim | second)
        with self.assertRaisesRegex(ValidationError, "itself"):
            second.warranty_job_id = second

    def test_warranty_status_on_job_sheet_and_portal(self):
        original = self._closed_job(fields.Date.today(), partner_id=self.contact_a.id)
        claim = self._create_job(item_serial="IMEI-W-1", partner_id=self.contact_a.id)
        claim.write({"warranty_outcome": "replaced"})
        Report = self.env["ir.actions.report"].with_user(self.technician_2)
        html = Report._render_qweb_html("service_desk.action_report_service_job", original.ids)[0]
        self.assertIn("this repair is guaranteed until", html.decode())
        claim.user_id = self.technician_2
        html = Report._render_qweb_html("service_desk.action_report_service_job", claim.ids)[0]
        self.assertIn("Warranty claim", html.decode())
        self.assertIn(original.name, html.decode())
        self.assertIn("Replaced", html.decode())
        self.authenticate("sd_warranty_portal", "sd_warranty_portal")
        page = self.url_open(f"/my/service_jobs/{claim.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_service_job_warranty", page.text)
        self.assertIn(original.name, page.text)
        self.assertIn("Replaced", page.text)
