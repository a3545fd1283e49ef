import re

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import ServiceDeskCommon


@tagged("post_install", "-at_install")
class TestServiceJobTracking(HttpCase, ServiceDeskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write({"email": "Desk@FixIt.example", "phone": "+32 475 12 34 56"})
        cls.job = cls._create_job(
            item_brand="Acme",
            customer_note="<p>Visible remark</p>",
            internal_note="<p>SECRET internal remark</p>",
        )
        cls.env["ir.config_parameter"].sudo().set_param("service_desk.public_tracking", "True")

    def setUp(self):
        super().setUp()
        self.env["service.tracking.attempt"].search([]).unlink()
        self.authenticate(None, None)

    def _search(self, reference, factor):
        return self.url_open(
            "/service/track",
            data={
                "reference": reference,
                "factor": factor,
                "csrf_token": http.Request.csrf_token(self),
            },
            allow_redirects=False,
        )

    def _direct_path(self, job=None):
        job = job or self.job
        return f"/service/track/{job.id}/{job.sudo().tracking_key}"

    def test_tracking_key_and_url(self):
        self.assertGreaterEqual(len(self.job.tracking_key), 40)
        self.assertTrue(self.job.tracking_url.endswith(self._direct_path()))
        self.assertTrue(self.job.tracking_url.startswith(self.job.get_base_url()))
        # technicians get the URL (job sheet) but not the key field; portal gets neither
        job_tech = self.job.with_user(self.technician)
        with self.assertRaises(AccessError):
            job_tech.read(["tracking_key"])

    def test_search_page_and_second_factors(self):
        self.assertEqual(self.url_open("/service/track").status_code, 200)
        for factor in ("desk@fixit.example", " DESK@FIXIT.EXAMPLE ", "3456", "12 34 56"):
            res = self._search(self.job.name.lower(), factor)
            self.assertEqual(res.status_code, 303, factor)
            self.assertTrue(res.headers["Location"].endswith(self._direct_path()), factor)

    def test_wrong_factor_and_unknown_reference_identical(self):
        wrong_factor = self._search(self.job.name, "nobody@example.com")
        unknown_job = self._search("SJ/1999/99999", "desk@fixit.example")
        short_digits = self._search(self.job.name, "456")
        wildcard = self._search("SJ%", "desk@fixit.example")
        for res in (wrong_factor, unknown_job, short_digits, wildcard):
            self.assertEqual(res.status_code, 200)
            self.assertIn("No job matches this reference", res.text)
            self.assertNotIn("Visible remark", res.text)

        def strip(res):
            # The references typed differ, and the CSRF token (in the form and in the
            # page's script) embeds a timestamp: two requests a second apart differ.
            text = res.text.replace("SJ/1999/99999", "").replace(self.job.name, "")
            text = re.sub(r'name="csrf_token" value="[^"]*"', "", text)
            return re.sub(r'csrf_token: "[^"]*"', "", text)

        self.assertTrue(strip(wrong_factor))
        self.assertEqual(
            strip(wrong_factor).replace('value="SJ%"', ""),
            strip(unknown_job).replace('value="SJ%"', ""),
        )

    def test_throttling(self):
        self.env["ir.config_parameter"].sudo().set_param("service_desk.tracking_max_failures", 3)
        for _i in range(3):
            self.assertEqual(self._search(self.job.name, "bad@example.com").status_code, 200)
        res = self._search(self.job.name, "desk@fixit.example")
        self.assertEqual(res.status_code, 429)
        self.assertIn("Too many attempts", res.text)
        # the cron forgets old failures only
        Attempt = self.env["service.tracking.attempt"]
        Attempt._gc_attempts()
        self.assertEqual(Attempt.search_count([]), 3)
        Attempt.search([]).write({"create_date": "2000-01-01 00:00:00"})
        Attempt._gc_attempts()
        self.assertFalse(Attempt.search_count([]))
        self.assertEqual(self._search(self.job.name, "desk@fixit.example").status_code, 303)

    def test_direct_link(self):
        res = self.url_open(self._direct_path())
        self.assertEqual(res.status_code, 200)
        self.assertIn(self.job.name, res.text)
        self.assertIn(self.job.stage_id.name, res.text)
        self.assertIn("Visible remark", res.text)
        self.assertNotIn("SECRET internal remark", res.text)
        self.assertEqual(self.url_open(f"/service/track/{self.job.id}/wrong-key").status_code, 404)
        self.assertEqual(
            self.url_open(f"/service/track/999999999/{self.job.tracking_key}").status_code, 404
        )

    def test_direct_link_costs_about_a_login_page(self):
        """The public page runs a few more queries than /web/login (the job, its stage),
        not the frontend language negotiation nor every column of the job."""

        def queries(path):
            before = self.cr.sql_log_count
            self.assertEqual(self.url_open(path).status_code, 200)
            return self.cr.sql_log_count - before

        path = self._direct_path()
        queries(path), queries("/web/login")  # warm the caches (templates, assets)
        login, tracking = queries("/web/login"), queries(path)
        self.assertLessEqual(tracking, login + 4)

    def test_regenerate_key(self):
        old_path = self._direct_path()
        with self.assertRaises(UserError):
            self.job.with_user(self.technician).action_regenerate_tracking_key()
        self.job.with_user(self.officer).action_regenerate_tracking_key()
        self.assertNotEqual(old_path, self._direct_path())
        self.assertEqual(self.url_open(old_path).status_code, 404)
        self.assertEqual(self.url_open(self._direct_path()).status_code, 200)

    def test_tracking_disabled(self):
        path = self._direct_path()
        settings = self.env["res.config.settings"].create({})
        settings.service_desk_public_tracking = False
        settings.execute()
        self.assertEqual(self.url_open("/service/track").status_code, 404)
        self.assertEqual(self._search(self.job.name, "desk@fixit.example").status_code, 404)
        self.assertEqual(self.url_open(path).status_code, 404)
