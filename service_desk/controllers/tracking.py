from odoo import http
from odoo.http import request
from odoo.tools import consteq, is_html_empty

from .common import clean_text, is_db_id, is_token

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
    "company_id",
)


class ServiceDeskTracking(http.Controller):
    """Public tracking pages: they reveal a job only with its key, or with its reference plus
    the customer's email or full phone number; failures are limited per client IP and per
    reference, counted atomically (see ``service.tracking.attempt``).

    ``website=True`` routes, like Odoo's own public portal pages: the frontend layout (the
    shop's logo, name, footer and language selector) needs the frontend set-up."""

    def _tracking_enabled(self):
        # sudo: reading one public switch; the parameter holds no secret.
        ICP = request.env["ir.config_parameter"].sudo()
        return ICP.get_param("service_desk.public_tracking") in ("True", "1", "true")

    def _client_ip(self):
        return request.httprequest.remote_addr or "unknown"

    def _render_not_found(self):
        return request.render("service_desk.service_public_not_found", {}, status=404)

    def _render_search(self, message=None, status=200, reference=""):
        return request.render(
            "service_desk.service_tracking_search",
            {
                "error_message": message,
                "reference": reference,
                "reference_placeholder": self._reference_placeholder(),
            },
            status=status,
        )

    def _reference_placeholder(self):
        """An example reference in the current company's own numbering (prefix, padding)."""
        # sudo: the public user cannot read sequences; only the prefix and padding are shown.
        Sequence = request.env["ir.sequence"].sudo()
        sequence = Sequence.search(
            [("code", "=", "service.job"), ("company_id", "in", [request.env.company.id, False])],
            order="company_id",
            limit=1,
        )
        if not sequence:
            return "SJ/00001"
        prefix, _suffix = sequence._get_prefix_suffix()
        return f"{prefix}{1:0{sequence.padding}d}"

    def _render_job(self, job_sudo):
        # one query for what the page shows, not every column of the job
        job_sudo.fetch(TRACKING_FIELDS)
        return request.render(
            "service_desk.service_tracking_job", {"job": job_sudo, "is_html_empty": is_html_empty}
        )

    def _find_job(self, reference, factor):
        """The job with ``reference`` whose second factor is ``factor``, or an empty set."""
        if not reference or not factor:
            return request.env["service.job"]
        Attempt = request.env["service.tracking.attempt"]
        # sudo: a job is returned only when the second factor below matches.
        job_sudo = (
            request.env["service.job"]
            .sudo()
            .search([("name", "=ilike", Attempt._escape_like(reference))], limit=1)
        )
        if job_sudo and job_sudo._tracking_check_second_factor(factor):
            return job_sudo
        return request.env["service.job"]

    @http.route(
        "/service/track",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        readonly=True,  # a form: served by a read replica where there is one
    )
    def service_track_form(self, reference="", **kw):
        """The search form; ``reference`` (optional) prefills the job reference."""
        if not self._tracking_enabled():
            return self._render_not_found()
        return self._render_search(reference=clean_text(reference, 64) or "")

    @http.route("/service/track", type="http", auth="public", methods=["POST"], website=True)
    def service_track_search(self, reference="", factor="", **kw):
        """Every search counts as a failure of the client IP and of the reference until the
        answer is known to be right; malformed values (files, NUL bytes, over-long text) are
        plain wrong answers: same page, same count."""
        if not self._tracking_enabled():
            return self._render_not_found()
        reference = clean_text(reference, 64)
        factor = clean_text(factor, 254)
        # sudo: the public user has no access to this model; it only counts failures.
        Attempt = request.env["service.tracking.attempt"].sudo()
        attempt_id, locks_reference = Attempt._reserve(self._client_ip(), reference)
        if not attempt_id:
            return request.render(
                "service_desk.service_tracking_throttled",
                {"reference_placeholder": self._reference_placeholder()},
                status=429,
            )
        job_sudo = self._find_job(reference, factor)
        if job_sudo:
            Attempt._release(attempt_id)
            return request.redirect(
                f"/service/track/{job_sudo.id}/{job_sudo.tracking_key}", local=True
            )
        if locks_reference:
            Attempt._notify_reference_locked(reference)
        # Same page, message and status whether the reference or the second factor is wrong.
        return self._render_search(
            request.env._("No job matches this reference and email or phone number."),
            reference=reference or "",
        )

    @http.route(
        "/service/track/<int:job_id>/<string:key>",
        type="http",
        auth="public",
        methods=["GET"],
        readonly=True,
        website=True,
    )
    def service_track_job(self, job_id, key, **kw):
        if not self._tracking_enabled() or not is_db_id(job_id) or not is_token(key):
            return self._render_not_found()
        # sudo: the job is shown only if the secret key matches (constant-time comparison).
        job_sudo = request.env["service.job"].sudo().browse(job_id).exists()
        if not job_sudo or not job_sudo.tracking_key or not consteq(job_sudo.tracking_key, key):
            return self._render_not_found()
        return self._render_job(job_sudo)
