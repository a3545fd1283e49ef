from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobChecklist(ServiceDeskCommon):
    def test_checklist_lines_from_category_and_templates(self):
        job = self._create_job(user=self.technician, category_id=self.category.id)
        intake_items = self.checklist_intake.line_ids.mapped("name")
        self.assertEqual(job.checklist_line_ids.mapped("name"), intake_items)
        self.assertEqual(job.checklist_total_count, len(intake_items))
        self.assertEqual(job.checklist_progress, 0.0)
        # Adding a template adds its lines once; writing again adds nothing.
        job.checklist_template_ids = [(4, self.checklist_quality.id)]
        job.checklist_template_ids = [(4, self.checklist_quality.id)]
        expected = len(intake_items) + len(self.checklist_quality.line_ids)
        self.assertEqual(len(job.checklist_line_ids), expected)
        self.assertEqual(
            job.checklist_line_ids.template_id, self.checklist_intake | self.checklist_quality
        )

    def test_checklist_stamping_is_done_by_the_server(self):
        job = self._create_job(user=self.technician, category_id=self.category.id)
        line = job.checklist_line_ids[0].with_user(self.technician)
        before = fields.Datetime.now() - timedelta(seconds=1)
        # The client tries to forge who and when: ignored.
        line.write(
            {"is_done": True, "done_by_id": self.manager.id, "done_date": "2000-01-01 00:00:00"}
        )
        self.assertTrue(line.is_done)
        self.assertEqual(line.done_by_id, self.technician)
        self.assertGreaterEqual(line.done_date, before)
        stamped = line.done_date
        # Writing the stamp alone changes nothing; saving the line again keeps the stamp.
        line.write({"done_by_id": self.manager.id, "done_date": "2000-01-01 00:00:00"})
        line.with_user(self.officer).write({"is_done": True})
        self.assertEqual(line.done_by_id, self.technician)
        self.assertEqual(line.done_date, stamped)
        self.assertEqual(job.checklist_done_count, 1)
        self.assertAlmostEqual(
            job.checklist_progress, 100.0 / len(self.checklist_intake.line_ids), places=2
        )
        line.write({"is_done": False})
        self.assertFalse(line.done_by_id)
        self.assertFalse(line.done_date)

    def test_checklist_line_created_done_is_stamped(self):
        job = self._create_job(user=self.technician)
        line = (
            self.env["service.checklist.line"]
            .with_user(self.technician)
            .create(
                {
                    "job_id": job.id,
                    "name": "Extra check",
                    "is_done": True,
                    "done_by_id": self.manager.id,
                }
            )
        )
        self.assertEqual(line.done_by_id, self.technician)
        self.assertTrue(line.done_date)

    def test_checklist_gate_blocks_stage_until_complete(self):
        self.stage_ready.requires_checklist_complete = True
        job = self._create_job(user=self.technician, category_id=self.category.id)
        job = job.with_user(self.technician)
        with self.assertRaisesRegex(UserError, "until its checklist is complete"):
            job.write({"stage_id": self.stage_ready.id})
        job.checklist_line_ids[:-1].write({"is_done": True})
        with self.assertRaises(UserError):
            job.write({"stage_id": self.stage_ready.id})
        job.checklist_line_ids.write({"is_done": True})
        self.assertEqual(job.checklist_progress, 100.0)
        job.write({"stage_id": self.stage_ready.id})
        self.assertEqual(job.stage_id, self.stage_ready)
