from odoo.tests import tagged

from .common import ServiceDeskCommon

KANBAN_SPEC = {
    "name": {},
    "title": {},
    "partner_id": {"fields": {"display_name": {}}},
    "category_id": {"fields": {"display_name": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "stage_id": {"fields": {"display_name": {}}},
    "priority": {},
    "date_deadline": {},
    "is_closed": {},
    "checklist_total_count": {},
    "checklist_done_count": {},
    "job_properties": {},
    "activity_ids": {},
}


@tagged("post_install", "-at_install")
class TestServiceJobPerformance(ServiceDeskCommon):
    def _queries(self, user, domain):
        Job = self.env["service.job"].with_user(user)
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        Job.web_search_read(domain, KANBAN_SPEC, limit=80)
        return self.env.cr.sql_log_count - before

    def test_kanban_card_queries_do_not_grow_with_jobs(self):
        """The card reads stored counters: no query per job (no N+1)."""
        few = self.env["service.job"]
        for index in range(3):
            few |= self._create_job(
                user=self.technician, category_id=self.category.id, title=f"few {index}"
            )
        many = self.env["service.job"]
        for index in range(30):
            many |= self._create_job(
                user=self.technician, category_id=self.category.id, title=f"many {index}"
            )
        for user in (self.technician, self.officer):
            self._queries(user, [("id", "in", few.ids)])  # warm the caches (rules, views)
            self.assertEqual(
                self._queries(user, [("id", "in", few.ids)]),
                self._queries(user, [("id", "in", many.ids)]),
            )

    def test_dashboard_queries_do_not_grow_with_stages(self):
        stages = self.env["service.stage"].search([])
        self._create_job(user=self.officer, stage_id=stages[0].id)
        one, every = stages[:1].with_user(self.officer), stages.with_user(self.officer)
        counts = []
        for batch in (one, one, every):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            batch.read(["open_job_count", "overdue_job_count", "unassigned_job_count"])
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[1], counts[2])
