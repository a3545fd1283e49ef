from odoo import http
from odoo.http import request
from odoo.tools import consteq, is_html_empty

from .common import clean_text, is_token

DECISIONS = ("approved", "rejected")


class ServiceDeskApproval(http.Controller):
    """Public approval page: the customer approves or rejects a request with its token only.

    Answers: 404 (neutral page) for a token that is not one, 410 once the request is no longer
    pending (whatever is posted), 400 with the form for a pending request and an invalid
    answer (unknown decision, a file or control characters instead of text)."""

    def _get_approval_sudo(self, token):
        Approval = request.env["service.job.approval"]
        if not is_token(token):
            return Approval
        # sudo: the public user has no access to approvals; the request is returned only when
        # its secret token matches (indexed lookup, then a constant-time comparison).
        approval_sudo = Approval.sudo().search([("token", "=", token)], limit=1)
        if approval_sudo and consteq(approval_sudo.token, token):
            return approval_sudo
        return Approval

    def _render_closed(self, approval_sudo=None):
        if not approval_sudo:
            return request.render("service_desk.service_public_not_found", {}, status=404)
        return request.render(
            "service_desk.service_approval_invalid",
            {"approval": approval_sudo, "company": approval_sudo.company_id},
            status=410,
        )

    def _render_form(self, approval_sudo, token, error_message=None, values=None):
        job = approval_sudo.job_id
        values = values or {}
        return request.render(
            "service_desk.service_approval_page",
            {
                "approval": approval_sudo,
                "job": job,
                "company": approval_sudo.company_id,
                "token": token,
                "error_message": error_message,
                "customer_name": values.get("name", approval_sudo._get_customer_partner().name),
                "comment": values.get("comment", ""),
                "is_html_empty": is_html_empty,
            },
            status=400 if error_message else 200,
        )

    def _get_pending(self, token):
        """The pending request of ``token`` (expiring it first if out of date)."""
        approval_sudo = self._get_approval_sudo(token)
        if approval_sudo and approval_sudo._is_expired():
            approval_sudo._expire()
        return approval_sudo

    @http.route(
        "/service/approval/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def service_approval(self, token, **kw):
        approval_sudo = self._get_pending(token)
        if not approval_sudo or approval_sudo.state != "pending":
            return self._render_closed(approval_sudo)
        if approval_sudo.sale_order_id:
            # a quotation: accepted (signed) or declined on sale's own portal page
            return request.redirect(approval_sudo._get_quotation_portal_url())
        return self._render_form(approval_sudo, token)

    @http.route(
        "/service/approval/<string:token>/decide",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def service_approval_decide(self, token, decision=None, name="", comment="", **kw):
        approval_sudo = self._get_pending(token)
        if not approval_sudo or approval_sudo.state != "pending":
            return self._render_closed(approval_sudo)
        if approval_sudo.sale_order_id:
            return request.redirect(approval_sudo._get_quotation_portal_url())
        name, comment = clean_text(name, 128), clean_text(comment, 4000)
        if name is None or comment is None:
            return self._render_form(
                approval_sudo, token, request.env._("Please check your name and comment.")
            )
        if decision not in DECISIONS:
            return self._render_form(
                approval_sudo,
                token,
                request.env._("Please choose to approve or reject."),
                {"name": name, "comment": comment},
            )
        # Exactly one decision: _decide switches the row out of "pending" atomically.
        if not approval_sudo._decide(decision, name, comment):
            return self._render_closed(approval_sudo)
        return request.render(
            "service_desk.service_approval_done",
            {"approval": approval_sudo, "company": approval_sudo.company_id},
        )
