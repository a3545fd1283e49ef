from odoo import http
from odoo.http import request
from odoo.tools import consteq


class ServiceDeskApproval(http.Controller):
    """Public approval page: the customer approves or rejects a request with its token only."""

    def _get_approval_sudo(self, token):
        token = token or ""
        if len(token) < 20 or len(token) > 128:
            return request.env["service.job.approval"]
        # sudo: the public user has no access to approvals; the request is returned only when
        # its secret token matches (indexed lookup, then a constant-time comparison).
        approval_sudo = (
            request.env["service.job.approval"].sudo().search([("token", "=", token)], limit=1)
        )
        if approval_sudo and consteq(approval_sudo.token, token):
            return approval_sudo
        return request.env["service.job.approval"]

    def _render_closed(self, approval_sudo=None):
        if not approval_sudo:
            return request.render(
                "service_desk.service_approval_invalid", {"approval": False}, status=404
            )
        return request.render(
            "service_desk.service_approval_invalid", {"approval": approval_sudo}, status=410
        )

    @http.route(
        "/service/approval/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def service_approval(self, token, **kw):
        approval_sudo = self._get_approval_sudo(token)
        if approval_sudo and approval_sudo._is_expired():
            approval_sudo._expire()
        if not approval_sudo or approval_sudo.state != "pending":
            return self._render_closed(approval_sudo)
        return request.render(
            "service_desk.service_approval_page",
            {"approval": approval_sudo, "job": approval_sudo.job_id, "token": token},
        )

    @http.route(
        "/service/approval/<string:token>/decide",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def service_approval_decide(self, token, decision="", name="", comment="", **kw):
        approval_sudo = self._get_approval_sudo(token)
        if not approval_sudo:
            return self._render_closed()
        if decision not in ("approved", "rejected"):
            return request.render(
                "service_desk.service_approval_page",
                {
                    "approval": approval_sudo,
                    "job": approval_sudo.job_id,
                    "token": token,
                    "error_message": request.env._("Please choose to approve or reject."),
                },
                status=400,
            )
        if approval_sudo._is_expired():
            approval_sudo._expire()
        # Exactly one decision: _decide switches the row out of "pending" atomically.
        if not approval_sudo._decide(decision, (name or "").strip(), (comment or "").strip()):
            return self._render_closed(approval_sudo)
        return request.render("service_desk.service_approval_done", {"approval": approval_sudo})
