import re

from odoo.tests import HttpCase, new_test_user, tagged

from .common import ServiceDeskCommon


class ServiceJobRatingCommon(ServiceDeskCommon):
    """Jobs of two technicians, the customer contact with an email; mail tracking on (the
    rating request is skipped with tracking disabled, like the other customer emails)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact_a.email = "ann@fixit.example.com"
        cls.company.service_manager_id = cls.manager
        cls.job = cls._create_job(user=cls.technician, contact_id=cls.contact_a.id)
        cls.job.user_id = cls.technician
        cls.job_2 = cls._create_job(user=cls.technician_2, category_id=cls.category.id)
        cls.job_2.user_id = cls.technician_2
        cls.low_rating_type = cls.env.ref("service_desk.mail_activity_type_service_job_low_rating")

    def _close(self, job, user):
        """Move ``job`` to Delivered as ``user``, with mail tracking on; its pending rating."""
        job.with_user(user).with_context(tracking_disable=False).stage_id = self.stage_delivered
        return job.sudo().rating_ids.filtered(lambda r: not r.consumed)

    def _low_rating_activities(self, job):
        return job.activity_ids.filtered(lambda act: act.activity_type_id == self.low_rating_type)


@tagged("post_install", "-at_install")
class TestServiceJobRating(ServiceJobRatingCommon):
    def test_closing_sends_the_rating_request(self):
        self.assertTrue(self.stage_delivered.rating_request, "on by default for Delivered")
        self.job.with_user(self.technician).with_context(
            tracking_disable=False
        ).stage_id = self.stage_in_progress
        self.assertFalse(self.job.sudo().rating_ids, "no request from an open stage")
        rating = self._close(self.job, self.technician)
        self.assertEqual(len(rating), 1)
        self.assertEqual(rating.partner_id, self.contact_a, "the contact with an email rates")
        self.assertEqual(rating.rated_partner_id, self.technician.partner_id)
        self.assertEqual(rating.parent_res_model, "service.category")
        mail = self.env["mail.mail"].search(
            [("model", "=", "service.job"), ("res_id", "=", self.job.id)]
        )
        request = mail.filtered(lambda m: f"/rate/{rating.access_token}/5" in m.body_html)
        self.assertEqual(len(request), 1, "one request with the links of the rating pages")
        self.assertIn(self.contact_a, request.recipient_ids)
        self.assertIn(f"/rate/{rating.access_token}/1", request.body_html)
        # No new request when the job is saved again in the same stage.
        self.job.with_context(tracking_disable=False).stage_id = self.stage_delivered
        self.assertEqual(len(self.job.sudo().rating_ids), 1)

    def test_no_request_when_the_stage_does_not_ask_or_no_email(self):
        self.stage_delivered.rating_request = False
        self.assertFalse(self._close(self.job, self.technician))
        self.stage_delivered.rating_request = True
        self.assertFalse(self._close(self.job_2, self.technician_2), "customer has no email")

    def _init_stage_model(self):
        self.env.registry.init_models(
            self.env.cr, ["service.stage"], {"module": "service_desk"}, install=False
        )

    def test_upgrade_turns_the_request_on_for_delivered_once(self):
        """A database upgraded to this version asks for ratings on Delivered, as a new one."""
        Stage = self.env["service.stage"]
        self.env.cr.execute("ALTER TABLE service_stage DROP COLUMN rating_request")
        self._init_stage_model()  # what the upgrade runs: creates the column, sets the flag
        Stage.invalidate_model(["rating_request"])
        self.assertEqual(Stage.search([("rating_request", "=", True)]), self.stage_delivered)
        self.stage_delivered.rating_request = False
        self._init_stage_model()  # later upgrades keep the manager's choice
        Stage.invalidate_model(["rating_request"])
        self.assertFalse(self.stage_delivered.rating_request)

    def test_low_rating_schedules_one_activity_for_the_manager(self):
        rating = self._close(self.job, self.technician)
        job_sudo = self.job.sudo()  # as the public /rate controller applies it
        job_sudo.rating_apply(5, token=rating.access_token, feedback="Great")
        self.assertFalse(self._low_rating_activities(self.job), "a happy rating: no activity")
        job_sudo.rating_apply(1, token=rating.access_token, feedback="Still broken")
        activity = self._low_rating_activities(self.job)
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn("Still broken", str(activity.note))
        job_sudo.rating_apply(1, token=rating.access_token, feedback="Nobody called")
        activity = self._low_rating_activities(self.job)
        self.assertEqual(len(activity), 1, "a second low rating updates the activity")
        self.assertIn("Nobody called", str(activity.note))
        self.assertEqual(self.job.rating_last_value, 1)
        self.assertEqual(self.job.rating_last_feedback, "Nobody called")

    def test_low_rating_without_configured_manager_goes_to_a_service_desk_manager(self):
        self.company.service_manager_id = False
        rating = self._close(self.job, self.technician)
        self.job.sudo().rating_apply(1, token=rating.access_token)
        manager = self._low_rating_activities(self.job).user_id
        self.assertTrue(manager.has_group("service_desk.group_service_desk_manager"))

    def test_visibility_and_statistics(self):
        rating = self._close(self.job, self.technician)
        self.job.sudo().rating_apply(1, token=rating.access_token, feedback="Meh")
        self.job_2.sudo()._rating_get_access_token()  # a request to technician 2's customer
        Rating = self.env["rating.rating"]
        # The ratings of this test's jobs (the database may hold demo ratings too).
        domain = [("res_model", "=", "service.job"), ("res_id", "in", (self.job | self.job_2).ids)]
        self.assertEqual(Rating.with_user(self.technician).search(domain), rating)
        self.assertFalse(
            Rating.with_user(self.technician_2).search(domain + [("consumed", "=", True)])
        )
        self.assertEqual(self.job.with_user(self.technician).rating_ids, rating)
        self.assertEqual(self.job.with_user(self.technician).rating_last_text, "ko")
        self.assertEqual(len(Rating.with_user(self.officer).search(domain)), 2)
        # Statistics per technician and per category (the analysis' pivot) for the manager.
        self.job.category_id = self.category  # moves the rating's parent
        groups = Rating.with_user(self.manager)._read_group(
            domain + [("consumed", "=", True)],
            ["rated_partner_id", "parent_res_name"],
            ["rating:avg", "__count"],
        )
        self.assertEqual(groups, [(self.technician.partner_id, self.category.name, 1.0, 1)])
        category = self.category.with_user(self.manager)
        self.assertEqual((category.rating_count, category.rating_avg), (1, 1.0))
        action = category.action_open_ratings()
        self.assertEqual(Rating.with_user(self.manager).search(action["domain"]), rating)
        self.assertEqual(
            self.env["service.job"]
            .with_user(self.officer)
            .search(
                [
                    ("id", "in", (self.job | self.job_2).ids),
                    ("rating_last_value", ">=", 1),
                    ("rating_last_value", "<", 3),
                ]
            ),
            self.job,
        )


@tagged("post_install", "-at_install")
class TestServiceJobRatingHttp(HttpCase, ServiceJobRatingCommon):
    """The customer answers through the rating addon's public pages or the portal job page."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_ann = new_test_user(
            cls.env, login="sd_portal_ann", groups="base.group_portal", partner_id=cls.contact_a.id
        )
        cls.stranger = new_test_user(
            cls.env, login="sd_portal_stranger", groups="base.group_portal"
        )

    def _submit(self, token, rate, feedback):
        page = self.url_open(f"/rate/{token}/{rate}")
        self.assertEqual(page.status_code, 200)
        csrf = re.search(r'name="csrf_token"\s+value="([^"]+)"', page.text).group(1)
        return self.url_open(
            f"/rate/{token}/submit_feedback",
            data={"rate": rate, "feedback": feedback, "csrf_token": csrf},
        )

    def test_anonymous_rates_from_the_email_link(self):
        rating = self._close(self.job, self.technician)
        self.authenticate(None, None)
        self.assertEqual(self.url_open("/rate/not-a-token/5").status_code, 404)
        response = self._submit(rating.access_token, 1, "The screen flickers again")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(rating.consumed)
        self.assertEqual(self.job.rating_last_value, 1)
        self.assertEqual(self.job.rating_last_feedback, "The screen flickers again")
        self.assertEqual(self._low_rating_activities(self.job).user_id, self.manager)
        message = self.job.message_ids.filtered(lambda m: m.rating_ids == rating)
        self.assertEqual(message.author_id, self.contact_a)

    def test_portal_customer_rates_from_the_job_page(self):
        rating = self._close(self.job, self.technician)
        self.authenticate("sd_portal_ann", "sd_portal_ann")
        page = self.url_open(f"/my/service_jobs/{self.job.id}")
        self.assertIn("o_portal_service_job_rating_request", page.text)
        self.assertIn(f"/rate/{rating.access_token}/5", page.text)
        self.assertEqual(self._submit(rating.access_token, 5, "Fast and friendly").status_code, 200)
        self.assertFalse(self._low_rating_activities(self.job))
        page = self.url_open(f"/my/service_jobs/{self.job.id}")
        self.assertNotIn("o_portal_service_job_rating_request", page.text)
        self.assertIn("o_portal_service_job_rating", page.text)
        self.assertIn("Fast and friendly", page.text)
        # A portal user of another customer cannot rate with a leaked link.
        self.authenticate("sd_portal_stranger", "sd_portal_stranger")
        page = self.url_open(f"/rate/{rating.access_token}/1")
        self.assertIn("You cannot rate this", page.text)
        self.assertEqual(rating.rating, 5)
