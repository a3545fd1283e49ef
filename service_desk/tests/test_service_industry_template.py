from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceIndustryTemplate(ServiceDeskCommon):
    def _snapshot(self):
        domain = [("template_key", "!=", False)]
        return {
            model: self.env[model].with_context(active_test=False).search(domain)
            for model in ("service.stage", "service.category", "service.checklist.template")
        }

    def test_shipped_templates(self):
        codes = set(self.env["service.industry.template"].search([]).mapped("code"))
        self.assertLessEqual({"mobile", "laptop", "appliance", "vehicle", "hvac"}, codes)

    def test_apply_twice_equals_once(self):
        template = self.env.ref("service_desk.service_industry_template_mobile")
        before = self._snapshot()
        template.with_user(self.manager).action_apply()
        once = self._snapshot()
        template.with_user(self.manager).action_apply()
        twice = self._snapshot()
        self.assertEqual(once, twice)
        categories = once["service.category"] - before["service.category"]
        self.assertEqual(
            set(categories.mapped("name")),
            {"Phone Screen Replacement", "Phone Battery Replacement"},
        )
        self.assertEqual(
            (once["service.stage"] - before["service.stage"]).mapped("name"), ["Waiting for Parts"]
        )
        screen = categories.filtered(lambda c: c.template_key == "mobile/category/screen")
        self.assertEqual(len(screen.checklist_template_ids), 2)
        self.assertEqual(
            [prop["name"] for prop in screen.job_properties_definition],
            ["lock_code", "water_damage", "screen_grade"],
        )
        self.assertTrue(template.applied_date)
        # A job of the new category gets its checklists and custom fields.
        job = self._create_job(
            user=self.technician, category_id=screen.id, job_properties={"lock_code": "42"}
        )
        self.assertEqual(job.checklist_template_ids, screen.checklist_template_ids)
        self.assertTrue(job.checklist_line_ids)
        self.assertEqual(job.job_properties["lock_code"], "42")
        # The serial / IMEI is a field of every job: no category repeats it as a property.
        for category in categories:
            self.assertNotIn("IMEI", [p["string"] for p in category.job_properties_definition])

    def test_shared_stage_created_once_across_templates(self):
        templates = self.env.ref("service_desk.service_industry_template_mobile") | self.env.ref(
            "service_desk.service_industry_template_laptop"
        )
        templates.with_user(self.manager).action_apply()
        parts = self.env["service.stage"].search([("template_key", "=", "stage/parts")])
        self.assertEqual(len(parts), 1)

    def test_apply_all_templates(self):
        templates = self.env["service.industry.template"].search([])
        templates.with_user(self.manager).action_apply()
        for code in ("mobile", "laptop", "appliance", "vehicle", "hvac"):
            self.assertTrue(
                self.env["service.category"].search_count(
                    [("template_key", "=like", f"{code}/category/%")]
                ),
                code,
            )

    def test_apply_reserved_to_manager(self):
        template = self.env.ref("service_desk.service_industry_template_hvac")
        for user in (self.technician, self.officer):
            with self.assertRaises(AccessError):
                template.with_user(user).action_apply()
