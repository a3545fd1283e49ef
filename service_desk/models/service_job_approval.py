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
    # Approval of a quotation: the customer accepts (signs) or declines it on sale's portal
    # page; its confirmation or cancellation decides the request (see sale.order).
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Quotation",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
    )
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
        # The same link for both kinds: a quotation's request redirects to the quotation.
        for approval in self:
            approval.approval_url = (
                f"{approval.job_id.get_base_url()}/service/approval/{approval.token}"
            )

    def _get_quotation_portal_url(self):
        """The quotation's portal page, with its access token (the customer needs no login)."""
        self.ensure_one()
        # sudo: the public user reaches this only through the request's own secret token.
        return self.sale_order_id.sudo().get_portal_url()

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

    def _decide(self, decision, customer_name="", comment="", ignore_expiry=False):
        """Record the customer's decision once. Returns False if the request was already
        decided, expired or cancelled (by another click, tab or request). ``ignore_expiry``:
        a quotation confirmed after the request's date (its own validity applies)."""
        self.ensure_one()
        assert decision in ("approved", "rejected")
        self.flush_recordset()
        # Only one transaction can switch the row out of 'pending': the row lock taken by
        # UPDATE makes a concurrent one wait, then match nothing.
        self.env.cr.execute(
            "UPDATE service_job_approval "
            "SET state = %s, date_decision = now() at time zone 'UTC', "
            "customer_name = %s, customer_comment = %s "
            "WHERE id = %s AND state = 'pending' "
            "AND (%s OR date_expiry >= now() at time zone 'UTC') "
            "RETURNING id",
            [decision, (customer_name or "")[:128], (comment or "")[:4000], self.id, ignore_expiry],
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
        amount = self._format_amount()
        if self.sale_order_id:
            amount = f"{self.sale_order_id.name}, {amount}"
        values = {"name": self.customer_name or customer.name, "amount": amount}
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

    @api.model
    def _decide_quotations(self, orders, decision, by_customer=True):
        """Decide the pending requests of ``orders``: approved when a quotation is confirmed
        (signed online or confirmed by the shop), rejected when the customer declines it,
        cancelled when the shop cancels it."""
        # sudo: called from sale.order's confirm/cancel, by whoever confirms (the public
        # user signing online included); only the requests of these orders are touched.
        approvals = self.sudo().search(
            [("sale_order_id", "in", orders.ids), ("state", "=", "pending")]
        )
        for approval in approvals:
            order = approval.sale_order_id
            if decision == "approved" or by_customer:
                name = order.signed_by or approval._get_customer_partner().name
                approval._decide(decision, name, ignore_expiry=True)
            else:
                approval.state = "cancelled"
        return approvals

    def _format_amount(self):
        self.ensure_one()
        return self.currency_id.format(self.amount) if self.currency_id else str(self.amount)
