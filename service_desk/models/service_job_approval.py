import secrets
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models

DEFAULT_VALIDITY_DAYS = 14


class ServiceJobApproval(models.Model):
    """A request sent to the customer to approve (or reject) the work on a job.

    The customer decides on a public page reached with ``token`` only; a request is decided
    exactly once (see :meth:`_decide`)."""

    _name = "service.job.approval"
    _description = "Service Job Customer Approval"
    _order = "id desc"
    _check_company_auto = True

    job_id = fields.Many2one(
        "service.job", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="job_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    amount = fields.Monetary(currency_field="currency_id")
    message = fields.Text()
    # Secret of the public link: officers read it (they send it), nobody else does.
    token = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        index=True,
        default=lambda self: secrets.token_urlsafe(32),
        groups="service_desk.group_service_desk_user",
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("expired", "Expired"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    requested_by_id = fields.Many2one(
        "res.users", readonly=True, default=lambda self: self.env.user
    )
    date_expiry = fields.Datetime(
        string="Expires On", required=True, default=lambda self: self._default_date_expiry()
    )
    date_decision = fields.Datetime(string="Decided On", readonly=True)
    customer_name = fields.Char(readonly=True)
    customer_comment = fields.Text(readonly=True)
    approval_url = fields.Char(
        compute="_compute_approval_url", groups="service_desk.group_service_desk_user"
    )

    _sql_constraints = [
        ("token_unique", "UNIQUE(token)", "Approval tokens must be unique."),
        ("amount_positive", "CHECK(amount >= 0)", "The amount cannot be negative."),
    ]

    @api.model
    def _default_date_expiry(self):
        # sudo: reading one non-secret setting.
        days = (
            self.env["ir.config_parameter"].sudo().get_param("service_desk.approval_validity_days")
        )
        try:
            days = int(days) if days else DEFAULT_VALIDITY_DAYS
        except ValueError:
            days = DEFAULT_VALIDITY_DAYS
        return fields.Datetime.now() + timedelta(days=max(days, 1))

    @api.depends("token")
    def _compute_approval_url(self):
        for approval in self:
            approval.approval_url = (
                f"{approval.job_id.get_base_url()}/service/approval/{approval.token}"
            )

    @api.depends("job_id", "amount")
    def _compute_display_name(self):
        for approval in self:
            approval.display_name = f"{approval.job_id.name} ({approval.state})"

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _is_expired(self):
        self.ensure_one()
        return self.state == "pending" and self.date_expiry < fields.Datetime.now()

    def _expire(self):
        """Mark the pending, out-of-date requests of ``self`` as expired."""
        self.flush_recordset(["state", "date_expiry"])
        self.env.cr.execute(
            "UPDATE service_job_approval SET state = 'expired' "
            "WHERE id = ANY(%s) AND state = 'pending' AND date_expiry < now() at time zone 'UTC'",
            [self.ids],
        )
        self.invalidate_recordset(["state"])

    @api.model
    def _cron_expire(self):
        self.search(
            [("state", "=", "pending"), ("date_expiry", "<", fields.Datetime.now())]
        )._expire()

    def _decide(self, decision, customer_name="", comment=""):
        """Record the customer's decision once. Returns False if the request was already
        decided, expired or cancelled (by another click, tab or request)."""
        self.ensure_one()
        assert decision in ("approved", "rejected")
        self.flush_recordset()
        # Only one transaction can switch the row out of 'pending': the row lock taken by
        # UPDATE makes a concurrent one wait, then match nothing.
        self.env.cr.execute(
            "UPDATE service_job_approval "
            "SET state = %s, date_decision = now() at time zone 'UTC', "
            "customer_name = %s, customer_comment = %s "
            "WHERE id = %s AND state = 'pending' AND date_expiry >= now() at time zone 'UTC' "
            "RETURNING id",
            [decision, (customer_name or "")[:128], (comment or "")[:4000], self.id],
        )
        if not self.env.cr.fetchone():
            return False
        self.invalidate_recordset()
        self._after_decision()
        return True

    def _get_customer_partner(self):
        """The person the request is for: the job's contact, else its customer."""
        self.ensure_one()
        return self.job_id.contact_id or self.job_id.partner_id

    def _after_decision(self):
        """Post the decision in the job's chatter as the customer (not the public user),
        move an approved job on, give the technician a to-do for a rejected one."""
        self.ensure_one()
        job = self.job_id
        customer = self._get_customer_partner()
        approved = self.state == "approved"
        values = {"name": self.customer_name or customer.name, "amount": self._format_amount()}
        body = Markup("<p>%s</p>") % (
            self.env._("%(name)s approved the work (%(amount)s).", **values)
            if approved
            else self.env._("%(name)s rejected the work (%(amount)s).", **values)
        )
        if self.customer_comment:
            body += Markup("<p>%s %s</p>") % (self.env._("Comment:"), self.customer_comment)
        job.message_post(
            body=body,
            author_id=customer.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            partner_ids=job.user_id.partner_id.ids,
        )
        if approved:
            stage = self.env.ref("service_desk.service_stage_in_progress", raise_if_not_found=False)
            if stage and job.stage_id._is_move_allowed(stage):
                # the stage change is the customer's doing: its tracking message is theirs
                job._track_set_author(customer)
                job.stage_id = stage
        elif job.user_id:
            # Rejected: the job stays where it is; the technician decides what comes next
            # (new quote, return the item unrepaired, cancel).
            job.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Customer rejected the approval request"),
                user_id=job.user_id.id,
            )

    def _format_amount(self):
        self.ensure_one()
        return self.currency_id.format(self.amount) if self.currency_id else str(self.amount)
