from odoo import http
from odoo.http import request
from odoo.tools import consteq

# what the public tracking page shows of a job (customer-visible information only)
TRACKING_FIELDS = (
    "name",
    "stage_id",
    "title",
    "item_type",
    "item_brand",
    "item_model",
    "create_date",
    "date_deadline",
    "checklist_done_count",
    "checklist_total_count",
    "customer_note",
)


class ServiceDeskTracking(http.Controller):
    """Public tracking pages: they reveal a job only with its key, or with its reference plus
    the customer's email or phone digits; failures are throttled per client IP.

    Not ``website=True`` routes: like ``/web/login``, they follow the browser's language
    and skip the frontend language negotiation (default language, cookie, URL prefix),
    which costs a quarter of the throughput of these small pages."""

    def _tracking_enabled(self):
        # sudo: reading one public switch; the parameter holds no secret.
        ICP = request.env["ir.config_parameter"].sudo()
        return ICP.get_param("service_desk.public_tracking") in ("True", "1", "true")

    def _client_ip(self):
        return request.httprequest.remote_addr or "unknown"

    def _render_search(self, message=None, status=200, reference=""):
        return request.render(
            "service_desk.service_tracking_search",
            {"error_message": message, "reference": reference},
            status=status,
        )

    def _render_job(self, job_sudo):
        # one query for what the page shows, not every column of the job
        job_sudo.fetch(TRACKING_FIELDS)
        return request.render("service_desk.service_tracking_job", {"job": job_sudo})

    @http.route("/service/track", type="http", auth="public", methods=["GET"])
    def service_track_form(self, **kw):
        if not self._tracking_enabled():
            return request.not_found()
        return self._render_search()

    @http.route("/service/track", type="http", auth="public", methods=["POST"])
    def service_track_search(self, reference="", factor="", **kw):
        if not self._tracking_enabled():
            return request.not_found()
        # sudo: the public user has no access to this model; we only count and add failures
        # of the requesting IP.
        Attempt = request.env["service.tracking.attempt"].sudo()
        ip = self._client_ip()
        if Attempt._is_blocked(ip):
            return request.render("service_desk.service_tracking_throttled", {}, status=429)
        reference = (reference or "").strip()[:64]
        job_sudo = request.env["service.job"]
        if reference:
            escaped = reference.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            # sudo: a job is shown only when the second factor below matches.
            job_sudo = (
                request.env["service.job"].sudo().search([("name", "=ilike", escaped)], limit=1)
            )
        if job_sudo and job_sudo._tracking_check_second_factor(factor):
            return request.redirect(
                f"/service/track/{job_sudo.id}/{job_sudo.tracking_key}", local=True
            )
        Attempt._register_failure(ip)
        # Same page, message and status whether the reference or the second factor is wrong.
        return self._render_search(
            request.env._("No job matches this reference and email or phone number."),
            reference=reference,
        )

    @http.route(
        "/service/track/<int:job_id>/<string:key>",
        type="http",
        auth="public",
        methods=["GET"],
        readonly=True,
    )
    def service_track_job(self, job_id, key, **kw):
        if not self._tracking_enabled():
            return request.not_found()
        # sudo: the job is shown only if the secret key matches (constant-time comparison).
        job_sudo = request.env["service.job"].sudo().browse(job_id).exists()
        if not job_sudo or not job_sudo.tracking_key or not consteq(job_sudo.tracking_key, key):
            return request.not_found()
        return self._render_job(job_sudo)
