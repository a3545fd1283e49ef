from datetime import datetime

from odoo.tests import tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobAnalysis(ServiceDeskCommon):
    """Margin and warranty cost per category, technician and month of closing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_parts_and_labour()
        cls.category.warranty_months = 6
        cls.other_category = cls.env["service.category"].create({"name": "Test Laptops"})

    def _closed_job(self, user, category, closed_on, serial=False):
        job = self._create_job(user=user, category_id=category.id, item_serial=serial)
        self._add_lines(job, part_qty=1.0, hours=1.0)  # 45 + 60 sold, 30 + 25 cost
        job.stage_id = self.stage_delivered
        job.date_closed = closed_on
        return job

    def test_margin_and_warranty_cost_per_category_technician_month(self):
        first = self._closed_job(self.technician, self.category, datetime(2026, 1, 10))
        self._closed_job(self.technician_2, self.other_category, datetime(2026, 1, 20))
        self._closed_job(self.technician, self.category, datetime(2026, 2, 5))
        # A warranty claim of the first job (linked by hand), closed in February: its parts
        # and labour are not charged and cost 55.
        claim = self._create_job(
            user=self.technician, category_id=self.category.id, warranty_job_id=first.id
        )
        self._add_lines(claim, part_qty=1.0, hours=1.0)
        claim.stage_id = self.stage_delivered
        claim.date_closed = datetime(2026, 2, 25)
        Job = self.env["service.job"].with_user(self.officer)
        domain = [("id", "in", Job.search([("is_closed", "=", True)]).ids)]
        groups = Job._read_group(
            domain + [("date_closed", ">=", "2026-01-01"), ("date_closed", "<", "2026-03-01")],
            ["category_id", "user_id", "date_closed:month"],
            ["amount_untaxed:sum", "amount_margin:sum", "amount_warranty_cost:sum"],
        )
        result = {
            (category.name, user.login, month.month): (untaxed, margin, warranty)
            for category, user, month, untaxed, margin, warranty in groups
        }
        self.assertEqual(
            result,
            {
                ("Test Phones", "sd_technician", 1): (105.0, 50.0, 0.0),
                ("Test Laptops", "sd_technician_2", 1): (105.0, 50.0, 0.0),
                ("Test Phones", "sd_technician", 2): (105.0, 50.0 - 55.0, 55.0),
            },
        )
        # The analysis opens on its pivot and graph.
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "service_desk.service_job_action_margin_analysis"
        )
        views = Job.get_views([(view_id, mode) for view_id, mode in action["views"]])
        self.assertIn("amount_warranty_cost", views["views"]["pivot"]["arch"])
        self.assertIn("amount_margin", views["views"]["graph"]["arch"])
