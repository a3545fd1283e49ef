from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJob(ServiceDeskCommon):
    def test_reference_sequence_per_company(self):
        company_a, company_b = self.env["res.company"].create(
            [{"name": "Repair Shop A"}, {"name": "Repair Shop B"}]
        )
        self.officer.write({"company_ids": [(4, company_a.id), (4, company_b.id)]})
        Job = self.env["service.job"].with_user(self.officer)
        first_a = Job.with_company(company_a).create(
            {"partner_id": self.customer.id, "company_id": company_a.id}
        )
        second_a = Job.with_company(company_a).create(
            {"partner_id": self.customer.id, "company_id": company_a.id}
        )
        first_b = Job.with_company(company_b).create(
            {"partner_id": self.customer.id, "company_id": company_b.id}
        )
        self.assertEqual(first_a.name, "SJ/00001")
        self.assertEqual(second_a.name, "SJ/00002")
        self.assertEqual(first_b.name, "SJ/00001", "company B numbers its jobs on its own")
        sequences = self.env["ir.sequence"].search(
            [("code", "=", "service.job"), ("company_id", "in", (company_a + company_b).ids)]
        )
        self.assertEqual(sequences.company_id, company_a + company_b)
        # The series belong to the addon, so that uninstalling it removes them.
        sequence_b = sequences.filtered(lambda seq: seq.company_id == company_b)
        self.assertEqual(
            sequence_b.get_external_id()[sequence_b.id],
            f"service_desk.seq_service_job_company_{company_b.id}",
        )

    def test_create_defaults_with_form(self):
        with Form(self.env["service.job"].with_user(self.technician)) as form:
            form.partner_id = self.contact_a
            form.title = "Noisy fan"
            form.category_id = self.category
        job = form.save()
        self.assertTrue(job.name.startswith("SJ/"))
        self.assertEqual(job.stage_id, self.env["service.stage"].search([], limit=1))
        self.assertEqual(job.user_id, self.technician)
        self.assertEqual(job.commercial_partner_id, self.customer)
        self.assertEqual(job.access_url, f"/my/service_jobs/{job.id}")
        self.assertEqual(job.display_name, f"{job.name} - Noisy fan")
        self.assertEqual(job.checklist_template_ids, self.checklist_intake)

    def test_workflow_rule_refuses_forbidden_move(self):
        self.stage_received.allowed_next_stage_ids = self.stage_diagnosing
        job = self._create_job(user=self.technician, stage_id=self.stage_received.id)
        with self.assertRaisesRegex(UserError, "cannot move from stage 'Received' to 'Ready"):
            job.write({"stage_id": self.stage_ready.id})
        self.assertEqual(job.stage_id, self.stage_received)
        job.write({"stage_id": self.stage_diagnosing.id})
        self.assertEqual(job.stage_id, self.stage_diagnosing)
        # No rule on Diagnosing: every stage may follow it.
        job.write({"stage_id": self.stage_ready.id})
        self.assertEqual(job.stage_id, self.stage_ready)

    def test_workflow_rule_applies_to_officer_and_kanban_drag(self):
        self.stage_in_progress.allowed_next_stage_ids = self.stage_ready
        job = self._create_job(user=self.officer, stage_id=self.stage_in_progress.id)
        # The kanban drag and drop and the statusbar both write stage_id.
        with self.assertRaises(UserError):
            job.with_user(self.officer).write({"stage_id": self.stage_received.id})
        # In the form, the refused stage is not kept: a warning, and the saved stage is back.
        with (
            self.assertLogs("odoo.tests.form.onchange", "WARNING") as logs,
            Form(job.with_user(self.officer)) as form,
        ):
            form.stage_id = self.stage_received
            self.assertEqual(form.stage_id, self.stage_in_progress)
        self.assertIn("cannot move from stage 'In Progress' to 'Received'", logs.output[0])
        self.assertEqual(job.stage_id, self.stage_in_progress)

    def test_closed_stage_sets_closing_date(self):
        job = self._create_job(user=self.technician)
        self.assertFalse(job.is_closed)
        self.assertFalse(job.date_closed)
        job.stage_id = self.stage_delivered
        self.assertTrue(job.is_closed)
        self.assertTrue(job.date_closed)
        job.stage_id = self.stage_in_progress
        self.assertFalse(job.date_closed)

    def test_properties_per_category(self):
        laptop = self.env["service.category"].create(
            {
                "name": "Test Laptops",
                "job_properties_definition": [
                    {"name": "os", "string": "Operating System", "type": "char"},
                    {"name": "backup", "string": "Backup", "type": "boolean"},
                ],
            }
        )
        phone_job = self._create_job(
            user=self.technician, category_id=self.category.id, job_properties={"imei": "35693"}
        )
        laptop_job = self._create_job(
            user=self.technician,
            category_id=laptop.id,
            job_properties={"os": "Linux", "backup": True},
        )
        self.assertEqual(phone_job.job_properties, {"imei": "35693"})
        self.assertEqual(laptop_job.job_properties, {"os": "Linux", "backup": True})
        definitions = phone_job.read(["job_properties"])[0]["job_properties"]
        self.assertEqual([prop["name"] for prop in definitions], ["imei"])
        self.assertEqual(definitions[0]["value"], "35693")
        definitions = laptop_job.read(["job_properties"])[0]["job_properties"]
        self.assertEqual({prop["name"] for prop in definitions}, {"os", "backup"})

    def test_partner_smart_button_counts_company_and_contacts(self):
        self._create_job(partner_id=self.customer.id)
        self._create_job(partner_id=self.contact_a.id)
        self._create_job(partner_id=self.contact_b.id)
        self._create_job(partner_id=self.other_customer.id)
        partners = (
            self.customer | self.contact_a | self.contact_b | self.other_customer
        ).with_user(self.officer)
        partners.invalidate_recordset(["service_job_count"])
        self.assertEqual(partners.mapped("service_job_count"), [3, 3, 3, 1])
        action = self.customer.with_user(self.officer).action_view_service_jobs()
        jobs = self.env["service.job"].search(action["domain"])
        self.assertEqual(len(jobs), 3)

    def test_partner_smart_button_counts_only_visible_jobs(self):
        self._create_job(user=self.technician, partner_id=self.contact_a.id)
        self._create_job(user=self.officer, partner_id=self.contact_b.id)
        customer = self.customer.with_user(self.technician)
        self.assertEqual(customer.service_job_count, 1)

    def test_partner_count_single_query_batch(self):
        self._create_job(partner_id=self.contact_a.id)
        many = self.env["res.partner"].create(
            [{"name": f"Contact {i}", "parent_id": self.customer.id} for i in range(20)]
        )
        queries = []
        for partners in (self.contact_b, self.contact_a, many | self.other_customer):
            partners = partners.with_user(self.officer)
            partners.fetch(["commercial_partner_id"])
            partners.invalidate_recordset(["service_job_count"])
            before = self.env.cr.sql_log_count
            counts = partners.mapped("service_job_count")
            queries.append(self.env.cr.sql_log_count - before)
            self.assertEqual(counts[0], 1)
        # The first batch warms the caches; then one _read_group whatever the batch size.
        self.assertEqual(queries[1], queries[2])
        self.assertLessEqual(queries[2], 2)

    def test_dashboard_counts_per_stage(self):
        bench = self.env["service.stage"].with_user(self.manager).create({"name": "Test Bench"})
        yesterday = fields.Date.add(fields.Date.today(), days=-1)
        self._create_job(user=self.officer, stage_id=bench.id, date_deadline=yesterday)
        self._create_job(user=self.officer, stage_id=bench.id, user_id=False)
        self._create_job(user=self.technician, stage_id=bench.id)
        self.assertEqual(
            (bench.open_job_count, bench.overdue_job_count, bench.unassigned_job_count), (3, 1, 1)
        )
        # A technician's dashboard counts their own jobs only.
        bench_tech = bench.with_user(self.technician)
        self.assertEqual(bench_tech.open_job_count, 1)
        action = bench.with_context(service_job_filter="overdue").action_open_jobs()
        self.assertEqual(action["context"]["search_default_overdue"], 1)
        self.assertEqual(action["context"]["search_default_stage_id"], bench.id)

    def test_stage_email_template_sent_on_stage_change(self):
        template = self.env["mail.template"].create(
            {
                "name": "Job ready",
                "model_id": self.env["ir.model"]._get_id("service.job"),
                "subject": "Your job {{ object.name }} is ready",
                "body_html": "<p>Come and pick it up.</p>",
                "partner_to": "{{ object.partner_id.id }}",
            }
        )
        self.stage_ready.mail_template_id = template
        self.customer.email = "customer@example.com"
        # Tracking is disabled in the shared set-up: enable it for this job from its creation.
        Job = self.env["service.job"].with_context(tracking_disable=False, mail_notrack=False)
        job = Job.with_user(self.officer).create({"partner_id": self.customer.id})
        # End of the creating transaction (creation values are never tracked).
        self.env.cr.precommit.run()
        job.write({"stage_id": self.stage_ready.id})
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.assertIn(f"Your job {job.name} is ready", job.message_ids.mapped("subject"))

    def test_views_work_for_each_group(self):
        job = self._create_job(user=self.officer, user_id=self.technician.id)
        for user in (self.technician, self.officer, self.manager):
            Job = self.env["service.job"].with_user(user)
            views = Job.get_views(
                [(False, view) for view in ("kanban", "list", "form", "calendar", "pivot", "graph")]
                + [(False, "search")]
            )
            self.assertEqual(
                set(views["views"]),
                {"kanban", "list", "form", "calendar", "pivot", "graph", "search"},
            )
            with Form(job.with_user(user)) as form:
                form.diagnosis_summary = f"Seen by {user.name}"
            self.assertEqual(job.diagnosis_summary, f"Seen by {user.name}")
            # The kanban board: every stage is a column, even an empty one.
            groups = Job.web_read_group([], ["stage_id"], ["stage_id"])
            self.assertEqual(
                {group["stage_id"][0] for group in groups["groups"]},
                set(self.env["service.stage"].search([]).ids),
            )

    def test_stage_with_jobs_cannot_be_deleted(self):
        stage = self.env["service.stage"].with_user(self.manager).create({"name": "Temp"})
        self._create_job(user=self.technician, stage_id=stage.id)
        with self.assertRaisesRegex(UserError, "archive it instead"):
            stage.unlink()
        empty = self.env["service.stage"].with_user(self.manager).create({"name": "Empty"})
        empty.unlink()
        self.assertFalse(empty.exists())
