from odoo.tests import tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobLinePerformance(ServiceDeskCommon):
    """Opening the job form reads its parts and labour in a constant number of queries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_parts_and_labour()

    def _form_spec(self, user):
        """The web_read specification of the job form as the user gets it: every field of
        the form, the fields of its lists for the x2many ones, display names of relations."""
        Job = self.env["service.job"].with_user(user)
        models = Job.get_views([(False, "form")])["models"]

        def spec_of(model_name, nested):
            spec = {}
            for name, field in models[model_name]["fields"].items():
                if field["type"] in ("many2one", "many2many"):
                    spec[name] = {"fields": {"display_name": {}}}
                elif field["type"] == "one2many":
                    comodel = field["relation"]
                    fields = spec_of(comodel, False) if nested and comodel in models else {}
                    spec[name] = {"fields": fields or {"display_name": {}}, "limit": 40}
                else:
                    spec[name] = {}
            return spec

        return spec_of("service.job", True)

    def _form_queries(self, job, user, spec):
        job = job.with_user(user)
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        job.web_read(spec)
        return self.env.cr.sql_log_count - before

    def test_job_form_with_50_lines(self):
        small = self._create_job(user=self.technician, category_id=self.category.id)
        big = self._create_job(user=self.technician, category_id=self.category.id)
        for job, count in ((small, 2), (big, 25)):
            for _index in range(count):
                self._add_lines(job, user=self.technician)
        self.assertEqual(len(big.line_ids), 50)
        for user in (self.technician, self.officer):
            spec = self._form_spec(user)
            self.assertIn("price_subtotal", spec["line_ids"]["fields"])
            self._form_queries(small, user, spec)  # warm the caches (rules, views)
            self.assertEqual(
                self._form_queries(small, user, spec), self._form_queries(big, user, spec)
            )
        spec = self._form_spec(self.technician)
        big = big.with_user(self.technician)
        self.env.invalidate_all()
        # with service_desk_stock installed (fewer without): the lines, the item, the rating,
        # the schedule warning, the warranty and the team of the form, none per line
        with self.assertQueryCount(30):
            big.web_read(spec)
