from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobSecurity(ServiceDeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Assigned to the technician by the officer; created by the technician for someone
        # else; nothing to do with the technician.
        cls.job_assigned = cls._create_job(user=cls.officer, user_id=cls.technician.id)
        cls.job_created = cls._create_job(user=cls.technician, user_id=cls.technician_2.id)
        cls.job_foreign = cls._create_job(user=cls.officer, user_id=cls.technician_2.id)
        cls.jobs = cls.job_assigned | cls.job_created | cls.job_foreign

    def test_technician_search_sees_own_jobs_only(self):
        Job = self.env["service.job"].with_user(self.technician)
        visible = Job.search([("id", "in", self.jobs.ids)])
        self.assertEqual(visible, self.job_assigned | self.job_created)
        self.assertEqual(Job.search_count([("id", "=", self.job_foreign.id)]), 0)
        groups = Job._read_group([("id", "in", self.jobs.ids)], [], ["__count"])
        self.assertEqual(groups[0][0], 2)

    def test_technician_cannot_read_or_write_others_jobs(self):
        foreign = self.job_foreign.with_user(self.technician)
        with self.assertRaises(AccessError):
            foreign.read(["name"])
        with self.assertRaises(AccessError):
            foreign.write({"title": "Hijacked"})
        with self.assertRaises(AccessError):
            foreign.checklist_line_ids.check_access("read")
        # Own jobs: read and write are fine.
        own = (self.job_assigned | self.job_created).with_user(self.technician)
        own.write({"diagnosis_summary": "Checked"})
        self.assertEqual(own.mapped("diagnosis_summary"), ["Checked", "Checked"])

    def test_technician_checklist_lines_follow_the_job(self):
        foreign = self._create_job(
            user=self.officer, user_id=self.technician_2.id, category_id=self.category.id
        )
        own = self._create_job(
            user=self.officer, user_id=self.technician.id, category_id=self.category.id
        )
        Line = self.env["service.checklist.line"].with_user(self.technician)
        visible = Line.search([("job_id", "in", (foreign | own).ids)])
        self.assertEqual(visible, own.checklist_line_ids)
        with self.assertRaises(AccessError):
            foreign.checklist_line_ids[0].with_user(self.technician).write({"is_done": True})

    def test_unlink_reserved_to_manager(self):
        with self.assertRaises(AccessError):
            self.job_assigned.with_user(self.technician).unlink()
        with self.assertRaises(AccessError):
            self.job_foreign.with_user(self.technician).unlink()
        with self.assertRaises(AccessError):
            self.job_foreign.with_user(self.officer).unlink()
        self.job_foreign.with_user(self.manager).unlink()
        self.assertFalse(self.job_foreign.exists())

    def test_officer_sees_and_edits_all_jobs(self):
        Job = self.env["service.job"].with_user(self.officer)
        self.assertEqual(Job.search([("id", "in", self.jobs.ids)]), self.jobs)
        self.job_created.with_user(self.officer).write({"title": "Reassigned"})
        self.assertEqual(self.job_created.title, "Reassigned")

    def test_configuration_reserved_to_manager(self):
        for user in (self.technician, self.officer):
            with self.assertRaises(AccessError):
                self.stage_received.with_user(user).write({"name": "Renamed"})
            with self.assertRaises(AccessError):
                self.env["service.category"].with_user(user).create({"name": "Nope"})
            with self.assertRaises(AccessError):
                self.checklist_intake.with_user(user).write({"name": "Renamed"})
        self.stage_received.with_user(self.manager).write({"allowed_next_stage_ids": False})
        self.env["service.category"].with_user(self.manager).create({"name": "Yes"})

    def test_multi_company_isolation(self):
        company_b = self.env["res.company"].create({"name": "Branch B"})
        officer_b = new_test_user(
            self.env,
            login="sd_officer_b",
            groups="base.group_user,service_desk.group_service_desk_user",
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        job_b = self._create_job(user=officer_b, company_id=company_b.id)
        self.assertEqual(job_b.company_id, company_b)
        Job = self.env["service.job"].with_user(self.officer)
        self.assertNotIn(job_b, Job.search([]))
        with self.assertRaises(AccessError):
            job_b.with_user(self.officer).read(["name"])
        # Once allowed in both companies, the officer works across them.
        self.officer.company_ids = [(4, company_b.id)]
        visible = Job.with_context(allowed_company_ids=[self.company.id, company_b.id]).search(
            [("id", "in", (job_b | self.job_foreign).ids)]
        )
        self.assertEqual(visible, job_b | self.job_foreign)
        # The branch officer still sees only the branch.
        self.assertEqual(self.env["service.job"].with_user(officer_b).search([]), job_b)

    def test_multi_company_consistency(self):
        company_b = self.env["res.company"].create({"name": "Branch B"})
        category_b = self.env["service.category"].create(
            {"name": "B only", "company_id": company_b.id}
        )
        with self.assertRaises(UserError):
            self._create_job(category_id=category_b.id)
