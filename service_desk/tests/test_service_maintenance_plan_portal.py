from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceMaintenancePlanPortal(HttpCase, ServiceDeskCommon):
    """The portal's job list shows the customer's own upcoming visits only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.partner"].create(
            {"name": "Other Visits Inc", "is_company": True}
        )
        new_test_user(
            cls.env, login="sd_visit_a", groups="base.group_portal", partner_id=cls.contact_a.id
        )
        new_test_user(
            cls.env,
            login="sd_visit_b",
            groups="base.group_portal",
            partner_id=cls.env["res.partner"]
            .create({"name": "Vera Other", "parent_id": cls.other_company.id})
            .id,
        )
        today = fields.Date.context_today(cls.customer)
        item = cls._create_item(item_type="Boiler", brand="Vaillant", model_name="ecoTEC")
        cls._create_plan(
            name="Boiler yearly service", item_id=item.id, next_date=today + timedelta(days=12)
        )
        cls._create_plan(name="Stopped plan", active=False)
        cls._create_plan(name="Other company visit", partner_id=cls.other_company.id)

    def test_upcoming_visits(self):
        self.authenticate("sd_visit_a", "sd_visit_a")
        page = self.url_open("/my/service_jobs")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Upcoming maintenance visits", page.text)
        self.assertIn("Boiler yearly service", page.text)
        self.assertIn("Vaillant ecoTEC", page.text)
        self.assertNotIn("Stopped plan", page.text)
        self.assertNotIn("Other company visit", page.text)

        self.authenticate("sd_visit_b", "sd_visit_b")
        page = self.url_open("/my/service_jobs")
        self.assertIn("Other company visit", page.text)
        self.assertNotIn("Boiler yearly service", page.text)
