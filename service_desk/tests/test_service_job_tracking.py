import re
import threading
import uuid
from contextlib import closing
from urllib.parse import quote as url_quote

from odoo import http, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, TransactionCase, tagged

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
        cls.job_other = cls._create_job(
            partner_id=cls.other_customer.id, title="Other job", item_brand="Other"
        )
        cls.other_customer.email = "other@fixit.example"
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
        for factor in (
            "desk@fixit.example",
            " DESK@FIXIT.EXAMPLE ",
            "+32 475 12 34 56",
            "0475 12 34 56",
            "0032475123456",
            "475/12.34.56".replace(".", " "),
        ):
            res = self._search(self.job.name.lower(), factor)
            self.assertEqual(res.status_code, 303, factor)
            self.assertTrue(res.headers["Location"].endswith(self._direct_path()), factor)

    def test_wrong_factor_and_unknown_reference_identical(self):
        wrong_factor = self._search(self.job.name, "nobody@example.com")
        unknown_job = self._search("SJ/1999/99999", "desk@fixit.example")
        short_digits = self._search(self.job.name, "3456")
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

    def test_direct_link_query_budget(self):
        """The public page reads the job in one query and its stage, besides the frontend
        set-up (session, languages, company): not every column, nor a query per field."""

        def queries(path):
            before = self.cr.sql_log_count
            self.assertEqual(self.url_open(path).status_code, 200)
            return self.cr.sql_log_count - before

        path = self._direct_path()
        queries(path)  # warm the caches (templates, assets, routing)
        self.assertLessEqual(queries(path), 12)

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

    # ------------------------------------------------------------
    # Malformed input, second factor, limits (issue #19, items 4 and 5)
    # ------------------------------------------------------------

    def _failures(self):
        return self.env["service.tracking.attempt"].search_count([])

    def _neutral(self, res):
        """The page of a wrong answer, without the values typed and the CSRF tokens."""
        self.assertEqual(res.status_code, 200)
        self.assertIn("No job matches this reference", res.text)
        self.assertNotIn("Visible remark", res.text)
        text = re.sub(r'name="csrf_token" value="[^"]*"', "", res.text)
        text = re.sub(r'csrf_token: "[^"]*"', "", text)
        return re.sub(r'id="reference"[^>]*>', "", text)

    def test_short_phone_digits_are_not_a_second_factor(self):
        """The last 4 (or 6, or 7) digits give 10,000 guesses: only a full number counts."""
        self.env["ir.config_parameter"].sudo().set_param("service_desk.tracking_max_failures", 50)
        for factor in ("3456", "12 34 56", "5123456", "4751234", "+32", "desk@fixit"):
            self._neutral(self._search(self.job.name, factor))
        self.assertFalse(self.job._tracking_check_second_factor("00000000"))
        self.assertFalse(self.job._tracking_check_second_factor("475123456 or 1=1"))

    def test_malformed_values_are_wrong_answers_and_count(self):
        """NUL bytes, files, over-long or non-ASCII text: the same page as a wrong answer,
        for an existing reference as for an unknown one (no existence oracle), each counted."""
        self.env["ir.config_parameter"].sudo().set_param("service_desk.tracking_max_failures", 50)
        csrf = http.Request.csrf_token(self)
        forms = [
            {"reference": self.job.name + "\x00", "factor": "desk@fixit.example"},
            {"reference": self.job.name, "factor": "desk@fixit.example\x00"},
            {"reference": "\x00", "factor": "\x00"},
            {"reference": "é" * 30, "factor": "ünïcødé@example.com"},
            {"reference": "S" * 5000, "factor": "desk@fixit.example"},
            {"reference": self.job.name, "factor": "x" * 5000},
        ]
        pages = []
        for form in forms:
            res = self.url_open(
                "/service/track", data={**form, "csrf_token": csrf}, allow_redirects=False
            )
            pages.append(self._neutral(res))
        # the second factor, or the reference, sent as a file (multipart)
        for reference in (self.job.name, "SJ/1999/99999"):
            for files in (
                {"factor": ("factor.txt", b"desk@fixit.example", "text/plain")},
                {"reference": ("ref.txt", reference.encode(), "text/plain")},
            ):
                data = {"csrf_token": csrf, "reference": reference, "factor": "x"}
                data.pop(next(iter(files)))
                res = self.url_open("/service/track", data=data, files=files, allow_redirects=False)
                pages.append(self._neutral(res))
        self.assertEqual(self._failures(), len(forms) + 4, "each malformed search counts")
        self.assertEqual(len(set(pages)), 1, "one neutral page for all of them")
        # the right answer still works after them
        self.assertEqual(self._search(self.job.name, "desk@fixit.example").status_code, 303)

    def test_malformed_direct_links_are_not_found(self):
        for path in (
            f"/service/track/{self.job.id}/{'é' * 43}",
            f"/service/track/{self.job.id}/{self.job.tracking_key[:-1]}%00",
            f"/service/track/{self.job.id}/{'a' * 5000}",
            f"/service/track/99999999999999999999/{self.job.tracking_key}",
            f"/service/track/{self.job.id}/{self.job.tracking_key}x",
        ):
            res = self.url_open(path)
            self.assertEqual(res.status_code, 404, path[:80])
            self.assertIn("This link is not valid", res.text)
            self.assertIn("o_footer", res.text, "inside the shop's layout")

    def test_reference_locks_whatever_the_ip(self):
        """After N failures on a reference from anywhere, even the right answer gets the
        throttled page for a while, and the job's internal followers are told once."""
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("service_desk.tracking_max_failures", 50)
        ICP.set_param("service_desk.tracking_reference_max_failures", 3)
        self.job.user_id = self.technician
        Attempt = self.env["service.tracking.attempt"].sudo()
        for ip in ("203.0.113.1", "203.0.113.2"):  # two failures from elsewhere
            Attempt._reserve(ip, self.job.name.lower())
        self._neutral(self._search(self.job.name, "bad@example.com"))  # the 3rd: locks
        res = self._search(self.job.name, "desk@fixit.example")
        self.assertEqual(res.status_code, 429)
        self.assertIn("Too many attempts", res.text)
        locked = self.job.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("service_desk.mt_service_job_tracking_locked")
        )
        self.assertEqual(len(locked), 1)
        self.assertIn("is locked", locked.body)
        self.assertEqual(locked.author_id, self.env.ref("base.partner_root"))
        self.assertTrue(locked.subtype_id.internal, "customers do not get this message")
        self.assertTrue(
            self.job.activity_ids.filtered(
                lambda a: a.user_id == self.technician and a.summary == "Public tracking locked"
            )
        )
        # an unknown reference locks the same way: the lock tells nothing about existence
        for _i in range(3):
            self._neutral(self._search("SJ/1999/99999", "bad@example.com"))
        self.assertEqual(self._search("SJ/1999/99999", "bad@example.com").status_code, 429)
        # other references are not affected; the lock ends with its window
        self.assertEqual(self._search(self.job_other.name, "other@fixit.example").status_code, 303)
        Attempt.search([]).write({"create_date": "2000-01-01 00:00:00"})
        self.assertEqual(self._search(self.job.name, "desk@fixit.example").status_code, 303)

    def test_search_page_look(self):
        res = self.url_open("/service/track")
        self.assertIn(f'placeholder="{self.job.name[:3]}00001"', res.text)
        self.assertIn(f"/logo.png?company={self.env.company.id}", res.text)
        self.assertIn("o_footer_copyright_name", res.text)
        self.assertIn(f"Track your service job | {self.env.company.name}", res.text)

    def test_tracking_tour(self):
        self.start_tour(
            f"/service/track?reference={url_quote(self.job.name)}", "service_desk_tracking_tour"
        )
        # the tour's search succeeded: its reserved failure was released
        self.assertFalse(self._failures())


@tagged("post_install", "-at_install")
class TestServiceTrackingCounter(TransactionCase):
    """The failure counter on two real database connections: the second search waits for
    the first one's commit and sees its failure (what the HTTP workers do in production).

    Not threads against the HttpCase server: in test mode its requests share one
    transaction, and concurrent ones fail in the test framework itself."""

    def test_two_cursors(self):
        Attempt = self.env["service.tracking.attempt"]
        limits = {**Attempt._get_limits(), "ip_max": 1}
        ip = f"test-{uuid.uuid4()}"
        db = sql_db.db_connect(self.env.cr.dbname)
        results = {}

        def second():
            with db.cursor() as cr2:  # commits on exit
                cr2.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                results["second"] = Attempt._reserve_with_cursor(cr2, ip, "sj/x", limits)

        try:
            with db.cursor() as cr1:  # commits on exit: the second search goes on
                cr1.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                first_id, _locks = Attempt._reserve_with_cursor(cr1, ip, "sj/x", limits)
                self.assertTrue(first_id)
                thread = threading.Thread(target=second)
                thread.start()
                thread.join(1.0)
                self.assertTrue(thread.is_alive(), "the second search waits for the lock")
            thread.join(30)
            self.assertEqual(results["second"], (0, False), "and then sees the limit reached")
        finally:
            with db.cursor() as cr:  # commits on exit
                cr.execute("DELETE FROM service_tracking_attempt WHERE ip = %s", [ip])

    def test_reserve_commits_on_its_own_cursor(self):
        """Outside test mode, a reservation is committed at once (a later error of the request
        does not undo the count) and a release removes it the same way."""
        Attempt = self.env["service.tracking.attempt"]
        ip = f"test-{uuid.uuid4()}"
        db = sql_db.db_connect(self.env.cr.dbname)

        def committed_count():
            with closing(db.cursor()) as cr:
                cr.execute("SELECT count(*) FROM service_tracking_attempt WHERE ip = %s", [ip])
                return cr.fetchone()[0]

        try:
            attempt_id, _locks = Attempt._reserve(ip, "SJ/X")
            self.assertTrue(attempt_id)
            self.assertEqual(committed_count(), 1)
            Attempt._release(attempt_id)
            self.assertEqual(committed_count(), 0)
        finally:
            with db.cursor() as cr:  # commits on exit
                cr.execute("DELETE FROM service_tracking_attempt WHERE ip = %s", [ip])
