from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobWorkflow(HttpCase, ServiceDeskCommon):
    """The workflow rules and the checklist gate shipped on the stages, in the ORM, the form
    and the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._restore_shipped_workflow()
        cls.job = cls._create_job(
            user=cls.technician, category_id=cls.category.id, stage_id=cls.stage_received.id
        )

    def test_shipped_rules(self):
        job = self.job.with_user(self.technician)
        with self.assertRaisesRegex(UserError, "cannot move from stage 'Received' to 'Ready"):
            job.write({"stage_id": self.stage_ready.id})
        for stage in (self.stage_diagnosing, self.stage_approval, self.stage_in_progress):
            job.write({"stage_id": stage.id})
            self.assertEqual(job.stage_id, stage)
        job.write({"stage_id": self.stage_ready.id})
        # Delivered is gated: every checklist line must be ticked first.
        self.assertTrue(self.stage_delivered.requires_checklist_complete)
        with self.assertRaisesRegex(UserError, "until its checklist is complete"):
            job.write({"stage_id": self.stage_delivered.id})
        job.checklist_line_ids.write({"is_done": True})
        job.write({"stage_id": self.stage_delivered.id})
        self.assertTrue(job.is_closed)
        # A closed job may be reopened.
        job.write({"stage_id": self.stage_in_progress.id})
        self.assertFalse(job.date_closed)

    def test_lines_ticked_in_the_same_save_count(self):
        job = self.job.with_user(self.technician)
        job.write({"stage_id": self.stage_in_progress.id})
        job.write({"stage_id": self.stage_ready.id})
        lines = job.checklist_line_ids
        with self.assertRaisesRegex(UserError, lines[-1].name):
            job.write(
                {
                    "stage_id": self.stage_delivered.id,
                    "checklist_line_ids": [
                        Command.update(line.id, {"is_done": True}) for line in lines[:-1]
                    ],
                }
            )
        job.write(
            {
                "stage_id": self.stage_delivered.id,
                "checklist_line_ids": [
                    Command.update(line.id, {"is_done": True}) for line in lines
                ],
            }
        )
        self.assertEqual(job.stage_id, self.stage_delivered)
        self.assertEqual(lines.done_by_id, self.technician)

    def test_form_refusal_keeps_saved_stage(self):
        job = self.job.with_user(self.technician)
        job.write({"stage_id": self.stage_in_progress.id})
        job.write({"stage_id": self.stage_ready.id})
        with (
            self.assertLogs("odoo.tests.form.onchange", "WARNING") as logs,
            Form(job) as form,
        ):
            form.stage_id = self.stage_delivered
            self.assertEqual(form.stage_id, self.stage_ready)
        self.assertIn("until its checklist is complete", logs.output[0])
        self.assertEqual(job.stage_id, self.stage_ready)
        # Ticked in the form, then moved: the form's own lines count.
        with Form(job) as form:
            for index in range(len(form.checklist_line_ids)):
                with form.checklist_line_ids.edit(index) as line:
                    line.is_done = True
            form.stage_id = self.stage_delivered
        self.assertEqual(job.stage_id, self.stage_delivered)

    def test_same_stage_keeps_closing_date(self):
        self.job.checklist_line_ids.is_done = True
        self.stage_delivered.requires_checklist_complete = False
        self.job.stage_id = self.stage_cancelled = self.env.ref(
            "service_desk.service_stage_cancelled"
        )
        closed_on = self.job.date_closed
        self.assertTrue(closed_on)
        self.job.flush_recordset()
        self.env.cr.execute(
            "UPDATE service_job SET date_closed = date_closed - interval '1 day' WHERE id = %s",
            [self.job.id],
        )
        self.job.invalidate_recordset(["date_closed"])
        closed_on = self.job.date_closed
        self.job.write({"stage_id": self.stage_cancelled.id})
        self.assertEqual(self.job.date_closed, closed_on)

    def test_statusbar_refusal_tour(self):
        self.start_tour(
            f"/odoo/action-service_desk.service_job_action/{self.job.id}",
            "service_desk_stage_refusal_tour",
            login=self.technician.login,
        )
        self.assertEqual(self.job.stage_id, self.stage_diagnosing)
