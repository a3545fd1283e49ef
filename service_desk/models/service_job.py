import re
import secrets
from collections import defaultdict
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import SUPERUSER_ID, Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date, html2plaintext
from odoo.tools.sql import column_exists, create_column, create_index, table_exists

from odoo.addons.rating.models import rating_data

SEQUENCE_CODE = "service.job"
# Public tracking: the shortest phone number accepted as second factor (10^8 guesses).
TRACKING_PHONE_MIN_DIGITS = 8


class ServiceJob(models.Model):
    _name = "service.job"
    _description = "Service Job"
    _inherit = ["portal.mixin", "rating.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "priority desc, date_deadline, id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "title", "partner_id", "item_serial"]
    # Portal customers only read their jobs (record rule) but may write in the chatter.
    _mail_post_access = "read"

    # ------------------------------------------------------------
    # DEFAULTS
    # ------------------------------------------------------------

    def _default_stage_id(self):
        return self.env["service.stage"].search([], limit=1)

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    title = fields.Char(string="Subject", tracking=True)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    contact_id = fields.Many2one(
        "res.partner",
        check_company=True,
        domain="[('id', 'child_of', commercial_partner_id)]",
        help="Person to talk to at the customer.",
    )
    partner_email = fields.Char(related="partner_id.email", string="Email")
    partner_phone = fields.Char(related="partner_id.phone", string="Phone")
    source_id = fields.Many2one("utm.source", string="Lead Source", ondelete="set null")
    category_id = fields.Many2one("service.category", index=True, tracking=True, check_company=True)
    priority = fields.Selection(
        [("0", "Normal"), ("1", "High"), ("2", "Urgent")],
        default="0",
        index=True,
        tracking=True,
    )
    date_deadline = fields.Date(string="Due Date", index=True, tracking=True, copy=False)
    user_id = fields.Many2one(
        "res.users",
        string="Technician",
        index=True,
        tracking=True,
        check_company=True,
        default=lambda self: self.env.user,
        domain=lambda self: [
            ("groups_id", "in", self.env.ref("service_desk.group_service_desk_own").id),
            ("share", "=", False),
        ],
    )
    stage_id = fields.Many2one(
        "service.stage",
        index=True,
        tracking=True,
        copy=False,
        # Not "restrict": uninstalling the addon deletes the shipped stages before the jobs'
        # table; deleting a stage in use is refused by service.stage instead.
        ondelete="set null",
        default=_default_stage_id,
        group_expand="_read_group_stage_ids",
    )
    is_closed = fields.Boolean(related="stage_id.is_closed", store=True, index=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True, copy=False)
    # Item / asset
    item_type = fields.Char(help="Phone, laptop, washing machine, car ...")
    item_brand = fields.Char(string="Brand")
    item_model = fields.Char(string="Model")
    item_serial = fields.Char(string="Serial / IMEI", index="btree_not_null", tracking=True)
    # The customer's item: choosing it copies its type, brand, model and serial above (the
    # job keeps its own copy, so a job works without an item too).
    item_id = fields.Many2one(
        "service.item",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', commercial_partner_id)]"
        " if commercial_partner_id else []",
    )
    item_accessories = fields.Text(string="Accessories Received")
    item_condition = fields.Text(string="Condition on Intake")
    # Issue and diagnosis
    description = fields.Html(string="Issue Description")
    diagnosis_summary = fields.Text(string="Diagnosis")
    fault_found = fields.Text()
    suggested_solution = fields.Text()
    internal_note = fields.Html(
        string="Internal Notes",
        help="Never shown to the customer.",
        groups="service_desk.group_service_desk_own",
    )
    customer_note = fields.Html(
        string="Customer Notes", help="Shown to the customer (portal, job sheet)."
    )
    # Custom fields per category
    job_properties = fields.Properties(
        "Properties", definition="category_id.job_properties_definition", copy=True
    )
    # Checklist
    checklist_template_ids = fields.Many2many(
        "service.checklist.template",
        "service_job_checklist_template_rel",
        "job_id",
        "template_id",
        string="Checklists",
        check_company=True,
    )
    checklist_line_ids = fields.One2many(
        "service.checklist.line", "job_id", string="Checklist", copy=False
    )
    checklist_total_count = fields.Integer(compute="_compute_checklist", store=True)
    checklist_done_count = fields.Integer(compute="_compute_checklist", store=True)
    checklist_progress = fields.Float(compute="_compute_checklist", store=True, aggregator="avg")
    # Billing
    sale_order_ids = fields.Many2many(
        "sale.order",
        "service_job_sale_order_rel",
        "job_id",
        "order_id",
        string="Quotations",
        copy=False,
        check_company=True,
        domain="[('partner_id', 'child_of', commercial_partner_id)]",
    )
    invoice_ids = fields.Many2many(
        "account.move",
        "service_job_account_move_rel",
        "job_id",
        "move_id",
        string="Invoices",
        copy=False,
        check_company=True,
        domain="[('move_type', 'in', ('out_invoice', 'out_refund')),"
        " ('partner_id', 'child_of', commercial_partner_id)]",
    )
    # Public tracking: the key is a secret of the direct link; only officers read it.
    tracking_key = fields.Char(
        compute="_compute_tracking_key",
        store=True,
        readonly=True,
        copy=False,
        groups="service_desk.group_service_desk_user",
    )
    tracking_url = fields.Char(
        compute="_compute_tracking_url",
        string="Tracking Link",
        groups="service_desk.group_service_desk_own",
    )
    approval_ids = fields.One2many(
        "service.job.approval", "job_id", string="Approval Requests", copy=False
    )
    approval_pending_id = fields.Many2one(
        "service.job.approval", compute="_compute_approval_pending_id", string="Pending Approval"
    )
    sale_order_count = fields.Integer(compute="_compute_sale_order_count")
    # Preventive maintenance: the plan that created the job, for the visit of this date.
    maintenance_plan_id = fields.Many2one(
        "service.maintenance.plan",
        index="btree_not_null",
        readonly=True,
        copy=False,
        ondelete="set null",
        check_company=True,
    )
    maintenance_date = fields.Date(string="Planned Visit", readonly=True, copy=False)
    maintenance_meter_value = fields.Float(
        string="Visit At Meter",
        digits=(16, 1),
        readonly=True,
        copy=False,
        help="Plans by meter reading: the reading this visit is due at.",
    )
    team_id = fields.Many2one(
        "service.team", index="btree_not_null", tracking=True, check_company=True
    )
    meter_reading_ids = fields.One2many(
        "service.item.meter.reading", "job_id", string="Meter Readings", copy=False
    )

    _sql_constraints = [
        (
            "maintenance_visit_uniq",
            "UNIQUE (maintenance_plan_id, maintenance_date)",
            "A maintenance plan creates one job per planned visit.",
        ),
    ]
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    # Technician schedule (calendar "Schedule"): when the work is planned.
    planned_start = fields.Datetime(index=True, tracking=True, copy=False)
    planned_end = fields.Datetime(
        compute="_compute_planned_end",
        store=True,
        readonly=False,
        tracking=True,
        copy=False,
        help="Defaults to one hour after the planned start.",
    )
    planned_duration = fields.Float(
        string="Planned Hours",
        compute="_compute_planned_duration",
        inverse="_inverse_planned_duration",
        store=True,
        copy=False,
        aggregator="sum",
    )
    schedule_warning = fields.Text(
        compute="_compute_schedule_warning",
        help="The technician is planned on another open job at the same time, or the job is "
        "planned to end after its due date.",
    )
    schedule_title = fields.Char(
        compute="_compute_schedule_title",
        help="Title of the job in the schedule (calendar), marked when it has a warning.",
    )
    # Parts and labour (service.job.line), amounts in the company's currency
    line_ids = fields.One2many("service.job.line", "job_id", string="Parts & Labour", copy=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_untaxed = fields.Monetary(
        string="Untaxed Amount", compute="_compute_amounts", store=True, tracking=True
    )
    amount_tax = fields.Monetary(string="Taxes", compute="_compute_amounts", store=True)
    amount_total = fields.Monetary(string="Total", compute="_compute_amounts", store=True)
    # Costs and margins: officers only (technicians see prices, not what the shop pays).
    amount_cost = fields.Monetary(
        string="Cost",
        compute="_compute_amounts",
        store=True,
        groups="service_desk.group_service_desk_user",
    )
    amount_margin = fields.Monetary(
        string="Margin",
        compute="_compute_amounts",
        store=True,
        groups="service_desk.group_service_desk_user",
    )
    amount_warranty_cost = fields.Monetary(
        string="Warranty Cost",
        compute="_compute_amounts",
        store=True,
        groups="service_desk.group_service_desk_user",
        help="Cost of the parts and labour not charged because of a warranty.",
    )
    # Warranty: given by a closed job, claimed by a later job of the same item
    warranty_date_end = fields.Date(
        string="Warranty Until",
        compute="_compute_warranty_date_end",
        store=True,
        copy=False,
        help="Last day of the warranty this job gives the item, set when the job closes (period "
        "of its products, else of its category, as they were then).",
    )
    warranty_job_id = fields.Many2one(
        "service.job",
        string="Warranty Claim Of",
        compute="_compute_warranty_job_id",
        store=True,
        readonly=False,
        copy=False,
        index="btree_not_null",
        check_company=True,
        tracking=True,
        help="The earlier job of the same item whose warranty covers this one (found by serial "
        "/ IMEI when the job is recorded); its parts and labour are not charged by default.",
    )
    warranty_outcome = fields.Selection(
        [("repaired", "Repaired"), ("replaced", "Replaced"), ("refused", "Refused")],
        string="Claim Outcome",
        copy=False,
        tracking=True,
    )
    warranty_refusal_reason = fields.Text(string="Refusal Reason", copy=False)
    is_under_warranty = fields.Boolean(
        string="Under Warranty",
        compute="_compute_is_under_warranty",
        store=True,
        help="A warranty claim not refused: new lines are not charged.",
    )
    warranty_claim_ids = fields.One2many(
        "service.job", "warranty_job_id", string="Warranty Claims", copy=False
    )
    warranty_claim_count = fields.Integer(compute="_compute_warranty_claim_count")

    def _auto_init(self):
        # Existing jobs have no warranty yet: create the columns empty rather than searching
        # an earlier job for each of them when the fields are added by an upgrade.
        if table_exists(self.env.cr, self._table):
            for column, column_type in (
                ("warranty_job_id", "int4"),
                ("warranty_date_end", "date"),
                ("is_under_warranty", "bool"),
            ):
                if not column_exists(self.env.cr, self._table, column):
                    create_column(self.env.cr, self._table, column, column_type)
        return super()._auto_init()

    def init(self):  # pylint: disable=missing-return
        super().init()
        # The default order (see _order) of the list, and of each kanban column.
        create_index(
            self.env.cr,
            "service_job_priority_deadline_id_idx",
            self._table,
            ["priority DESC", "date_deadline", "id DESC"],
        )
        create_index(
            self.env.cr,
            "service_job_stage_priority_deadline_id_idx",
            self._table,
            ["stage_id", "priority DESC", "date_deadline", "id DESC"],
        )
        # The own-jobs record rule filters on the creator too.
        create_index(self.env.cr, "service_job_create_uid_idx", self._table, ["create_uid"])

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("checklist_line_ids.is_done")
    def _compute_checklist(self):
        for job in self:
            lines = job.checklist_line_ids
            done = len(lines.filtered("is_done"))
            job.checklist_total_count = len(lines)
            job.checklist_done_count = done
            job.checklist_progress = 100.0 * done / len(lines) if lines else 0.0

    @api.depends(
        "line_ids.price_subtotal",
        "line_ids.price_tax",
        "line_ids.price_total",
        "line_ids.cost_subtotal",
        "line_ids.is_warranty",
    )
    def _compute_amounts(self):
        for job in self:
            lines = job.line_ids
            job.amount_untaxed = sum(lines.mapped("price_subtotal"))
            job.amount_tax = sum(lines.mapped("price_tax"))
            job.amount_total = sum(lines.mapped("price_total"))
            job.amount_cost = sum(lines.mapped("cost_subtotal"))
            job.amount_margin = job.amount_untaxed - job.amount_cost
            job.amount_warranty_cost = sum(lines.filtered("is_warranty").mapped("cost_subtotal"))

    @api.depends("date_closed", "stage_id.is_cancelled")
    def _compute_warranty_date_end(self):
        for job in self:
            months = job._get_warranty_months() if job.date_closed else 0
            if months and not job.stage_id.is_cancelled:
                closed = fields.Date.to_date(job.date_closed)
                job.warranty_date_end = closed + relativedelta(months=months)
            else:
                job.warranty_date_end = False

    @api.depends("item_serial", "company_id")
    def _compute_warranty_job_id(self):
        for job in self:
            job.warranty_job_id = job._find_warranty_job()

    @api.depends("warranty_job_id", "warranty_outcome")
    def _compute_is_under_warranty(self):
        for job in self:
            job.is_under_warranty = bool(job.warranty_job_id) and job.warranty_outcome != "refused"

    @api.depends("warranty_claim_ids")
    def _compute_warranty_claim_count(self):
        groups = self._read_group(
            [("warranty_job_id", "in", self.ids)], ["warranty_job_id"], ["__count"]
        )
        counts = {job.id: count for job, count in groups}
        for job in self:
            job.warranty_claim_count = counts.get(job.id, 0)

    @api.depends("name")
    def _compute_tracking_key(self):
        for job in self:
            if not job.tracking_key:
                job.tracking_key = secrets.token_urlsafe(32)

    @api.depends("tracking_key")
    def _compute_tracking_url(self):
        # sudo: technicians print the link on the job sheet without reading the key itself.
        for job, job_sudo in zip(self, self.sudo(), strict=True):
            job.tracking_url = (
                f"{job.get_base_url()}/service/track/{job.id}/{job_sudo.tracking_key}"
                if job.id and job_sudo.tracking_key
                else False
            )

    @api.depends("planned_start")
    def _compute_planned_end(self):
        for job in self:
            if not job.planned_start:
                job.planned_end = False
            elif not job.planned_end:
                job.planned_end = job.planned_start + timedelta(hours=1)
            else:
                job.planned_end = job.planned_end

    @api.depends("planned_start", "planned_end")
    def _compute_planned_duration(self):
        for job in self:
            if job.planned_start and job.planned_end:
                seconds = (job.planned_end - job.planned_start).total_seconds()
                job.planned_duration = seconds / 3600.0
            else:
                job.planned_duration = 0.0

    def _inverse_planned_duration(self):
        for job in self.filtered("planned_start"):
            job.planned_end = job.planned_start + timedelta(hours=max(job.planned_duration, 0.0))

    @api.depends("planned_start", "planned_end", "user_id", "date_deadline", "is_closed")
    def _compute_schedule_warning(self):
        overlaps = self._get_schedule_overlaps()
        for job in self:
            warnings = []
            others = overlaps.get(job)
            if others:
                warnings.append(
                    self.env._(
                        "%(technician)s is also planned on %(jobs)s at that time.",
                        technician=job.user_id.name,
                        jobs=", ".join(
                            f"{other.name} ({job._format_planned_slot(other)})" for other in others
                        ),
                    )
                )
            if job._is_planned_after_deadline():
                warnings.append(
                    self.env._(
                        "Planned to end after its due date (%(date)s).",
                        date=format_date(self.env, job.date_deadline),
                    )
                )
            job.schedule_warning = "\n".join(warnings) or False

    @api.depends("display_name", "schedule_warning")
    def _compute_schedule_title(self):
        for job in self:
            mark = "\u26a0 " if job.schedule_warning else ""
            job.schedule_title = f"{mark}{job.display_name}"

    @api.depends("approval_ids.state")
    def _compute_approval_pending_id(self):
        for job in self:
            job.approval_pending_id = job.approval_ids.filtered(
                lambda approval: approval.state == "pending"
            )[:1]

    @api.depends("sale_order_ids")
    def _compute_sale_order_count(self):
        for job in self:
            job.sale_order_count = len(job.sale_order_ids)

    @api.depends("invoice_ids", "sale_order_ids.invoice_ids")
    def _compute_invoice_count(self):
        for job in self:
            job.invoice_count = len(job._get_invoices())

    def _compute_access_url(self):  # pylint: disable=missing-return
        super()._compute_access_url()
        for job in self:
            job.access_url = f"/my/service_jobs/{job.id}"

    def action_regenerate_tracking_key(self):
        """Replace the key of the direct tracking link: the old link stops working."""
        self.check_access("write")
        if not self.env.user.has_group("service_desk.group_service_desk_user"):
            raise UserError(self.env._("Only Service Desk officers can regenerate tracking links."))
        for job in self:
            job.tracking_key = secrets.token_urlsafe(32)
        self.message_post(body=self.env._("The public tracking link was regenerated."))
        return True

    def action_request_approval(self):
        """Open the wizard that emails the customer an approval request."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Request Approval"),
            "res_model": "service.job.approval.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_job_id": self.id},
        }

    def _request_approval(self, amount, currency, message, order=None):
        """Create the approval request (cancelling pending ones), move the job to the approval
        stage and email the customer the link through the job's chatter. With ``order`` (a
        quotation of the job) the link opens the quotation to accept and sign online."""
        self.ensure_one()
        Approval = self.env["service.job.approval"]
        pending = self.approval_ids.filtered(lambda approval: approval.state == "pending")
        # sudo: state is readonly in views; the officer cancels the job's own older requests.
        pending.sudo().state = "cancelled"
        values = {
            "job_id": self.id,
            "amount": amount,
            "currency_id": currency.id,
            "message": message,
        }
        if order:
            values["sale_order_id"] = order.id
            if order.validity_date:
                values["date_expiry"] = datetime.combine(order.validity_date, time.max)
            if order.state == "draft":
                order.action_quotation_sent()
            order._portal_ensure_token()
        approval = Approval.create(values)
        stage = self.env["service.stage"].search([("is_approval_stage", "=", True)], limit=1)
        if stage and self.stage_id != stage and self.stage_id._is_move_allowed(stage):
            self.stage_id = stage
        self.message_post_with_source(
            "service_desk.mail_template_service_job_approval",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        return approval

    def _tracking_check_second_factor(self, factor):
        """True if ``factor`` is the customer's email (any case) or their full phone or mobile
        number (at least 8 digits, any spacing, with or without the country code or the
        leading 0). Checked on the customer, the contact and the company."""
        self.ensure_one()
        factor = (factor or "").strip()
        if not factor:
            return False
        partners = (self.partner_id | self.contact_id | self.commercial_partner_id).sudo()
        if "@" in factor:
            factor = factor.lower()
            return any((p.email or "").strip().lower() == factor for p in partners if p.email)
        if re.sub(r"[\d\s().+/-]", "", factor):
            return False
        digits = re.sub(r"\D", "", factor).lstrip("0")
        if len(digits) < TRACKING_PHONE_MIN_DIGITS:
            return False
        numbers = [
            re.sub(r"\D", "", n or "").lstrip("0") for p in partners for n in (p.phone, p.mobile)
        ]
        return any(n and n.endswith(digits) for n in numbers)

    def _get_job_sheet_qr_value(self):
        """Tracking link printed as a QR code on the job sheet, if both settings are on."""
        self.ensure_one()
        # sudo: reading two non-secret switches, and the job's own tracking link (printed for
        # the customer; the reader of the report already has access to the job).
        ICP = self.env["ir.config_parameter"].sudo()
        if ICP.get_param("service_desk.job_sheet_qr") not in ("True", "1", "true"):
            return False
        if ICP.get_param("service_desk.public_tracking") not in ("True", "1", "true"):
            return False
        return self.sudo().tracking_url or False

    def _get_label_qr_value(self):
        """What the QR code of the item label opens: the public tracking link when public
        tracking is on, else the job in the backend (for the staff who scan the item)."""
        self.ensure_one()
        # sudo: a non-secret switch, and the job's own tracking link (see the job sheet).
        ICP = self.env["ir.config_parameter"].sudo()
        if ICP.get_param("service_desk.public_tracking") in ("True", "1", "true"):
            url = self.sudo().tracking_url
            if url:
                return url
        return f"{self.get_base_url()}/odoo/action-service_desk.service_job_action/{self.id}"

    def _get_label_item(self):
        """The item as printed on the label: type, brand and model."""
        self.ensure_one()
        return " ".join(filter(None, [self.item_type, self.item_brand, self.item_model]))

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Job Sheet - %(reference)s", reference=self.name)

    @api.depends("name", "title")
    def _compute_display_name(self):
        for job in self:
            job.display_name = f"{job.name} - {job.title}" if job.title else job.name

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([("active", "=", True)], order=stages._order)

    def _track_template(self, changes):
        res = super()._track_template(changes)
        job = self[0]
        if "stage_id" in changes and job.stage_id.mail_template_id:
            res["stage_id"] = (
                job.stage_id.mail_template_id,
                {
                    "auto_delete_keep_log": False,
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
                    "email_layout_xmlid": "mail.mail_notification_light",
                },
            )
        return res

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("planned_start", "planned_end")
    def _check_planned_dates(self):
        for job in self:
            if job.planned_end and not job.planned_start:
                raise ValidationError(
                    self.env._("%(job)s: set a planned start with the planned end.", job=job.name)
                )
            if job.planned_start and job.planned_end and job.planned_end < job.planned_start:
                raise ValidationError(
                    self.env._(
                        "%(job)s: the planned end must not be before the planned start.",
                        job=job.name,
                    )
                )

    # ------------------------------------------------------------
    # ONCHANGES
    # ------------------------------------------------------------

    @api.constrains("warranty_job_id", "warranty_outcome", "warranty_refusal_reason")
    def _check_warranty_claim(self):
        for job in self:
            if job.warranty_job_id == job:
                raise ValidationError(self.env._("A job cannot be a warranty claim of itself."))
            if job.warranty_outcome and not job.warranty_job_id:
                raise ValidationError(
                    self.env._("Only a warranty claim (a job with an original job) has an outcome.")
                )
            if (
                job.warranty_outcome == "refused"
                and not (job.warranty_refusal_reason or "").strip()
            ):
                raise ValidationError(self.env._("Give the reason why the claim is refused."))

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.contact_id and self.contact_id.commercial_partner_id != self.commercial_partner_id:
            self.contact_id = False

    @api.onchange("item_id")
    def _onchange_item_id(self):
        """Choosing an item fills the job's item fields (and the customer, if empty)."""
        if not self.item_id:
            return
        self.update({key: value for key, value in self.item_id._get_job_values().items() if value})
        if not self.partner_id:
            self.partner_id = self.item_id.partner_id

    @api.onchange("item_serial", "partner_id")
    def _onchange_item_serial(self):
        """A serial typed for a customer who has an item with it links that item; an item of
        another customer is unlinked."""
        if self.item_id and self.partner_id:
            if self.item_id.commercial_partner_id != self.partner_id.commercial_partner_id:
                self.item_id = False
        if self.item_id or not self.item_serial or not self.partner_id:
            return
        key = (
            self.partner_id.commercial_partner_id.id,
            self.company_id.id,
            self.item_serial.strip(),
        )
        item = self.env["service.item"]._find_by_serial({key}).get(key)
        if item:
            self.item_id = item

    @api.onchange("stage_id")
    def _onchange_stage_id(self):
        """Refuse a move in the form before it is saved: warn and stay on the saved stage, so
        the status bar never shows a stage the job is not in."""
        old_stage = self._origin.stage_id
        if not self._origin or not old_stage:
            return None
        error = self._get_stage_move_error(old_stage, self.stage_id)
        if error:
            self.stage_id = old_stage
            return {"warning": {"title": self.env._("Stage not allowed"), "message": error}}
        return None

    @api.onchange("planned_start")
    def _onchange_planned_start(self):
        """In the form, moving the planned start keeps the saved planned duration."""
        origin = self._origin
        if self.planned_start and origin.planned_start and origin.planned_end:
            self.planned_end = self.planned_start + (origin.planned_end - origin.planned_start)

    @api.onchange("category_id")
    def _onchange_category_id(self):
        if self.category_id.checklist_template_ids:
            self.checklist_template_ids |= self.category_id.checklist_template_ids

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        new_label = self.env._("New")
        for vals in vals_list:
            if not vals.get("name") or vals["name"] == new_label:
                company = self.env["res.company"].browse(
                    vals.get("company_id") or self.env.company.id
                )
                vals["name"] = self._next_reference(company)
            self._fill_item_values(vals)
        jobs = super().create(vals_list)
        jobs._link_items_by_serial()
        jobs._sync_checklists()
        jobs.filtered("is_closed").date_closed = fields.Datetime.now()
        jobs._send_received_mail()
        return jobs

    def _send_received_mail(self):
        """Email the customer (only) that the job was received, when they have an email."""
        if self.env.context.get("tracking_disable") or self.env.context.get("mail_notrack"):
            return
        # Jobs of maintenance plans get the planned-visit email instead (service.maintenance.plan).
        jobs = self.filtered(lambda job: job.partner_id.email and not job.maintenance_plan_id)
        template = self.env.ref(
            "service_desk.mail_template_service_job_received", raise_if_not_found=False
        )
        if jobs and template:
            jobs.message_post_with_source(template, subtype_xmlid="mail.mt_note")

    def _send_planned_mail(self):
        """Email the customer (only) the planned visit of jobs created by maintenance plans."""
        if self.env.context.get("tracking_disable") or self.env.context.get("mail_notrack"):
            return
        jobs = self.filtered(lambda job: job.partner_id.email)
        template = self.env.ref(
            "service_desk.mail_template_service_job_planned", raise_if_not_found=False
        )
        if jobs and template:
            jobs.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_note",
                email_layout_xmlid="mail.mail_notification_light",
            )

    def write(self, vals):
        new_stage = self.env["service.stage"].browse(vals.get("stage_id"))
        old_stages = {job: job.stage_id for job in self} if new_stage else {}
        if new_stage:
            if "checklist_line_ids" not in vals:
                self._check_stage_move(new_stage)
            moving = self.filtered(lambda job: job.stage_id != new_stage)
            if moving == self:
                vals["date_closed"] = fields.Datetime.now() if new_stage.is_closed else False
            elif moving:
                moving.date_closed = fields.Datetime.now() if new_stage.is_closed else False
        self._fill_item_values(vals)
        res = super().write(vals)
        if "item_serial" in vals or "partner_id" in vals:
            self._link_items_by_serial()
        if new_stage and "checklist_line_ids" in vals:
            # Lines ticked in the same save count for the checklist gate.
            for job, old_stage in old_stages.items():
                error = job._get_stage_move_error(old_stage, new_stage)
                if error:
                    raise UserError(error)
        if {"category_id", "checklist_template_ids"} & set(vals):
            self._sync_checklists()
        if new_stage.rating_request:
            self.filtered(lambda job: old_stages[job] != new_stage)._send_rating_request()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_billed(self):
        # sudo: a manager without accounting rights may delete jobs; only the state of the
        # linked invoices is checked, nothing of them is returned or changed.
        if self.sudo().invoice_ids.filtered(lambda move: move.state == "posted"):
            raise UserError(
                self.env._("You cannot delete a job linked to a posted invoice; archive it.")
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_create_quotation(self):
        """Create the job's quotation, or update the draft one the job created before: one
        quotation line per part and labour line (the job lines' prices, discounts, taxes)
        after a note with the item and the issue; without job lines, one line with the item
        and the issue (the category's service product when it has one)."""
        self.ensure_one()
        order = self._get_draft_quotation()
        if order:
            order.order_line = self._prepare_quotation_line_commands(order)
            body = Markup(self.env._("Quotation %s updated from the parts and labour."))
        else:
            order = self.env["sale.order"].create(self._prepare_quotation_values())
            self.sale_order_ids = [Command.link(order.id)]
            body = Markup(self.env._("Quotation %s created."))
        self.message_post(body=body % order._get_html_link(), subtype_xmlid="mail.mt_note")
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": order.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_create_invoice(self):
        """Invoice what is left to invoice of the job's parts and labour (see
        ``_create_invoice``) and open the invoice."""
        self.ensure_one()
        invoice = self._create_invoice(self.line_ids)
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": invoice.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_add_category_lines(self):
        """Add the category's default parts and labour to the job."""
        self.check_access("write")
        values = [
            default_line._prepare_job_line_values(job)
            for job in self
            for default_line in job.category_id.line_ids
        ]
        if not values:
            raise UserError(self.env._("The job's category has no default parts or labour."))
        self.env["service.job.line"].create(values)
        return True

    def action_view_warranty_claims(self):
        """The later jobs of the item claimed under this job's warranty."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("service_desk.service_job_action")
        action["name"] = self.env._("Warranty Claims")
        action["domain"] = [("warranty_job_id", "=", self.id)]
        action["context"] = {"default_warranty_job_id": self.id, "create": False}
        action["view_mode"] = "list,form"
        action["views"] = [(False, "list"), (False, "form")]
        return action

    def action_view_quotations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale.action_quotations_with_onboarding"
        )
        action["domain"] = [("id", "in", self.sale_order_ids.ids)]
        action["context"] = {
            "default_partner_id": self.partner_id.id,
            "default_service_job_ids": [Command.link(self.id)],
        }
        if len(self.sale_order_ids) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=self.sale_order_ids.id)
        return action

    def action_view_invoices(self):
        self.ensure_one()
        invoices = self._get_invoices()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", invoices.ids)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        if len(invoices) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=invoices.id)
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _next_reference(self, company):
        """Next job reference from the company's own numbering series."""
        sequences = self.env["ir.sequence"]
        # sudo: internal users may only read ir.sequence. We create the company's own series,
        # copied from the shipped one, with fixed values: no user input reaches it.
        if not sequences.sudo().search_count(
            [("code", "=", SEQUENCE_CODE), ("company_id", "=", company.id)], limit=1
        ):
            shipped = self.env.ref("service_desk.seq_service_job", raise_if_not_found=False)
            sequence = sequences.sudo().create(
                {
                    "name": self.env._("Service Job (%(company)s)", company=company.name),
                    "code": SEQUENCE_CODE,
                    "company_id": company.id,
                    "prefix": shipped.sudo().prefix if shipped else "SJ/",
                    "padding": shipped.sudo().padding if shipped else 5,
                }
            )
            # An xml id of the addon (noupdate: kept by upgrades) so uninstalling removes it.
            self.env["ir.model.data"].sudo().create(
                {
                    "module": "service_desk",
                    "name": f"seq_service_job_company_{company.id}",
                    "model": "ir.sequence",
                    "res_id": sequence.id,
                    "noupdate": True,
                }
            )
        return sequences.with_company(company).next_by_code(SEQUENCE_CODE)

    # --- stage moves (workflow rules and checklist gate) ---------------------------------

    def _check_stage_move(self, new_stage):
        """Raise a UserError if one of the jobs may not move to ``new_stage``."""
        for job in self:
            error = job._get_stage_move_error(job.stage_id, new_stage)
            if error:
                raise UserError(error)

    def _get_stage_move_error(self, old_stage, new_stage):
        """Why this job may not move from ``old_stage`` to ``new_stage`` (its checklist as it
        is now), or False if it may."""
        self.ensure_one()
        if not new_stage or new_stage == old_stage:
            return False
        if old_stage and not old_stage._is_move_allowed(new_stage):
            return self.env._(
                "%(job)s cannot move from stage '%(current)s' to '%(to)s'. "
                "Allowed next stages: %(allowed)s.",
                job=self.display_name,
                current=old_stage.name,
                to=new_stage.name,
                allowed=", ".join(old_stage.allowed_next_stage_ids.mapped("name")),
            )
        open_lines = self.checklist_line_ids.filtered(lambda line: not line.is_done)
        if new_stage.requires_checklist_complete and open_lines:
            return self.env._(
                "%(job)s cannot enter stage '%(stage)s' until its checklist is "
                "complete. Still to do: %(lines)s.",
                job=self.display_name,
                stage=new_stage.name,
                lines=", ".join(open_lines.mapped("name")),
            )
        return False

    def _sync_checklists(self):
        """Add the lines of the job's and its category's checklist templates not yet on it."""
        line_vals = []
        to_link = []
        for job in self:
            templates = job.checklist_template_ids | job.category_id.checklist_template_ids
            missing = templates - job.checklist_line_ids.template_id
            for template in missing:
                line_vals += [
                    {
                        "job_id": job.id,
                        "template_id": template.id,
                        "name": item.name,
                        "sequence": template.sequence * 1000 + item.sequence,
                    }
                    for item in template.line_ids
                ]
            if templates - job.checklist_template_ids:
                to_link.append((job, templates - job.checklist_template_ids))
        if line_vals:
            self.env["service.checklist.line"].create(line_vals)
        # The lines exist now, so the write below finds nothing left to add.
        for job, templates in to_link:
            job.checklist_template_ids = [Command.link(template.id) for template in templates]

    # --- warranty -------------------------------------------------------------------------

    def _get_warranty_months(self):
        """The warranty period this job gives: the longest of its products' own periods, else
        its category's (0: none)."""
        self.ensure_one()
        product_months = self.line_ids.product_id.mapped("service_warranty_months")
        return max(product_months, default=0) or self.category_id.warranty_months

    def _find_warranty_job(self, on_date=None):
        """The closed job of the same item (same serial / IMEI, same company) whose warranty
        still covers ``on_date`` (today by default), the latest; else an empty recordset.
        The one place that decides what "the same item" is."""
        self.ensure_one()
        serial = (self.item_serial or "").strip()
        if not serial:
            return self.browse()
        on_date = on_date or fields.Date.context_today(self)
        domain = [
            ("item_serial", "=", serial),
            ("company_id", "=", self.company_id.id or self.env.company.id),
            ("warranty_date_end", ">=", on_date),
        ]
        if self._origin.id:
            domain.append(("id", "!=", self._origin.id))
        # sudo: a technician's new job must find the item's earlier job whoever handled it;
        # only the link is kept (its name is shown, the job itself stays behind the rules).
        job = self.sudo().search(domain, order="date_closed desc, id desc", limit=1)
        return self.browse(job.ids)

    @api.model
    def _fill_item_values(self, vals):
        """With an item in ``vals``, its type, brand, model and serial, unless given too."""
        if not vals.get("item_id"):
            return
        item = self.env["service.item"].browse(vals["item_id"])
        for key, value in item._get_job_values().items():
            if value and key not in vals:
                vals[key] = value

    def _link_items_by_serial(self):
        """Link the jobs without an item to their customer's active item of the same serial
        (one query for all the jobs)."""
        jobs = self.filtered(lambda job: not job.item_id and job.item_serial)
        if not jobs:
            return
        keys = {
            job: (job.commercial_partner_id.id, job.company_id.id, job.item_serial.strip())
            for job in jobs
        }
        found = self.env["service.item"]._find_by_serial(set(keys.values()))
        for job, key in keys.items():
            if key in found:
                job.item_id = found[key]

    def _get_invoices(self):
        self.ensure_one()
        return self.invoice_ids | self.sale_order_ids.invoice_ids

    def _get_quotation_heading(self):
        """The job reference, item and issue, as written on the job's quotation."""
        self.ensure_one()
        item = " ".join(filter(None, [self.item_type, self.item_brand, self.item_model]))
        if self.item_serial:
            item = f"{item} ({self.item_serial})" if item else self.item_serial
        issue = html2plaintext(self.description or "").strip() or self.title or ""
        return "\n".join(filter(None, [f"{self.name}: {item}" if item else self.name, issue]))

    def _prepare_quotation_values(self):
        self.ensure_one()
        line_name = self._get_quotation_heading()
        product = self.category_id.service_product_id
        if self.line_ids:
            line = {"display_type": "line_note", "name": line_name, "sequence": 0}
        elif product:
            line = {"product_id": product.id, "name": line_name, "product_uom_qty": 1.0}
        else:
            line = {"display_type": "line_note", "name": line_name}
        return {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "origin": self.name,
            "user_id": self.env.user.id,
            "source_id": self.source_id.id,
            "order_line": [Command.create(line)]
            + [Command.create(job_line._prepare_sale_line_values()) for job_line in self.line_ids],
            "service_job_ids": [Command.link(self.id)],
        }

    # --- customer rating (rating.mixin) --------------------------------------------------

    def _rating_get_partner(self):
        """The customer asked to rate: the job's contact when they have an email (as for
        approvals), else the customer."""
        if self.contact_id.email:
            return self.contact_id
        return super()._rating_get_partner()

    def _rating_get_parent_field_name(self):
        # Ratings roll up to the category (rating.parent.mixin on service.category).
        return "category_id"

    def _rating_apply_get_default_subtype_id(self):
        return self.env["ir.model.data"]._xmlid_to_res_id("service_desk.mt_service_job_rating")

    def rating_apply(
        self,
        rate,
        token=None,
        rating=None,
        feedback=None,
        subtype_xmlid=None,
        notify_delay_send=False,
    ):
        """Apply the customer's rating (rating addon's contract); a low one (below "Okay",
        i.e. 1 or 2 of 5) also gives the service manager an activity on the job."""
        rating = super().rating_apply(
            rate,
            token=token,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )
        if rating_data.RATING_LIMIT_MIN <= rating.rating < rating_data.RATING_LIMIT_OK:
            self._schedule_low_rating_activity(rating)
        return rating

    def _send_rating_request(self):
        """Email each job's customer the rating request (links to the rating addon's /rate
        pages), through the mail queue. Skipped with tracking disabled (imports, tests),
        like the other automatic customer emails, and when the customer has no email."""
        if self.env.context.get("tracking_disable"):
            return
        template = self.env.ref(
            "service_desk.mail_template_service_job_rating", raise_if_not_found=False
        )
        if not template:
            return
        for job in self:
            partner = job._rating_get_partner()
            if partner.email and partner != self.env.user.partner_id:
                job.rating_send_request(template, lang=partner.lang, force_send=False)

    def _get_service_manager(self):
        """Who follows up unhappy customers: the company's Service Manager (Settings), else
        the first Service Desk manager of the company (lowest id, OdooBot excluded)."""
        self.ensure_one()
        manager = self.company_id.service_manager_id
        if manager:
            return manager
        # sudo: officers and public rating pages need to find the manager; only an id is read.
        return (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("groups_id", "in", self.env.ref("service_desk.group_service_desk_manager").id),
                    ("share", "=", False),
                    ("company_ids", "in", self.company_id.id),
                    ("id", "!=", SUPERUSER_ID),
                ],
                order="id",
                limit=1,
            )
        )

    def _schedule_low_rating_activity(self, rating):
        """One open "Unhappy Customer" activity per job for the service manager, its note the
        latest rating and comment (a second low rating updates it)."""
        self.ensure_one()
        manager = self._get_service_manager()
        if not manager:
            return
        xmlid = "service_desk.mail_activity_type_service_job_low_rating"
        note = Markup("<p>%s</p>") % self.env._(
            "%(customer)s rated this job %(rating)s/5: %(feedback)s",
            customer=rating.partner_id.display_name or self.partner_id.display_name,
            rating=int(rating.rating),
            feedback=rating.feedback or self.env._("no comment"),
        )
        activity_type = self.env.ref(xmlid)
        existing = self.activity_ids.filtered(lambda act: act.activity_type_id == activity_type)
        if existing:
            existing.write({"note": note, "user_id": manager.id})
            return
        self.activity_schedule(
            xmlid,
            user_id=manager.id,
            summary=self.env._("Unhappy customer: call them back"),
            note=note,
        )

    def _get_portal_rating(self):
        """(pending, given): the customer's rating request still to answer, and the last
        rating given, as sudo records (portal page; the caller checked access)."""
        self.ensure_one()
        ratings = self.sudo().rating_ids
        partner = self._rating_get_partner()
        pending = ratings.filtered(lambda r: not r.consumed and r.partner_id == partner)[:1]
        given = ratings.filtered("consumed")[:1]
        return pending, given

    def action_open_ratings(self):
        """The job's ratings (smart button)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "service_desk.rating_rating_action_service_job"
        )
        action["domain"] = [
            ("res_model", "=", self._name),
            ("res_id", "=", self.id),
            ("consumed", "=", True),
        ]
        action["context"] = {}
        return action

    # --- technician schedule ---------------------------------------------------------------

    def _get_schedule_overlaps(self):
        """``{job: other jobs}``: for each open, planned and assigned job of ``self``, the other
        open jobs (that the user may read) of its technician planned at an overlapping time.
        One search for the whole set, however many jobs it holds."""
        planned = self.filtered(
            lambda job: job.planned_start and job.planned_end and job.user_id and not job.is_closed
        )
        if not planned:
            return {}
        candidates = self.env["service.job"].search_fetch(
            [
                ("user_id", "in", planned.user_id.ids),
                ("is_closed", "=", False),
                ("planned_start", "<", max(planned.mapped("planned_end"))),
                ("planned_end", ">", min(planned.mapped("planned_start"))),
            ],
            ["name", "user_id", "planned_start", "planned_end"],
            order="planned_start, id",
        )
        by_user = defaultdict(list)
        for candidate in candidates:
            by_user[candidate.user_id.id].append(candidate)
        overlaps = {}
        for job in planned:
            others = [
                other
                for other in by_user[job.user_id.id]
                if other.id != job._origin.id
                and other.planned_start < job.planned_end
                and other.planned_end > job.planned_start
            ]
            if others:
                overlaps[job] = others
        return overlaps

    def _is_planned_after_deadline(self):
        """Whether this open job is planned to end after its due date (user's time zone)."""
        self.ensure_one()
        if self.is_closed or not self.planned_end or not self.date_deadline:
            return False
        return fields.Datetime.context_timestamp(self, self.planned_end).date() > self.date_deadline

    def _format_planned_slot(self, job):
        """``job``'s planned start and end in the user's time zone and date format, e.g.
        "12/01/2026 09:00-12:00" (the end's date too when it is another day)."""
        start, end = (
            fields.Datetime.context_timestamp(self, moment)
            for moment in (job.planned_start, job.planned_end)
        )
        end_text = f"{end:%H:%M}"
        if end.date() != start.date():
            end_text = f"{format_date(self.env, end.date())} {end_text}"
        return f"{format_date(self.env, start.date())} {start:%H:%M}-{end_text}"

    def _get_draft_quotation(self):
        """The latest draft quotation this job created, to update from its lines (none when the
        job has no lines: each click then creates a quotation, as before lines existed)."""
        self.ensure_one()
        if not self.line_ids:
            return self.env["sale.order"]
        drafts = self.sale_order_ids.filtered(
            lambda order: order.state == "draft" and order.origin == self.name
        )
        return drafts.sorted("id")[-1:]

    def _prepare_quotation_line_commands(self, order):
        """Commands updating ``order``'s lines of the job's lines and adding the missing ones
        (quotation lines of deleted job lines were deleted with them)."""
        self.ensure_one()
        existing = {sol.service_job_line_id: sol for sol in order.order_line}
        commands = []
        for job_line in self.line_ids:
            values = job_line._prepare_sale_line_values()
            if job_line in existing:
                commands.append(Command.update(existing[job_line].id, values))
            else:
                commands.append(Command.create(values))
        return commands

    def _create_invoice(self, lines):
        """Create a customer invoice of what is left to invoice of ``lines`` (lines of this
        job): one invoice line per job line with its quantity not yet invoiced, linked to the
        job line; linked to the job. Raise a UserError when nothing is left to invoice."""
        self.ensure_one()
        self.check_access("write")
        # Serialise the invoicing of one job: a concurrent call waits for this row, then fails
        # with a serialisation error and is retried by Odoo, seeing this invoice.
        self.env.cr.execute(
            "UPDATE service_job SET write_date = write_date WHERE id = %s", [self.id]
        )
        lines = lines.filtered(lambda line: line.job_id == self and line._has_qty_to_invoice())
        if not lines:
            raise UserError(
                self.env._("%(job)s has nothing left to invoice.", job=self.display_name)
            )
        invoice = (
            self.env["account.move"]
            .with_company(self.company_id)
            .with_context(default_move_type="out_invoice")
            .create(self._prepare_invoice_values(lines))
        )
        self.invoice_ids = [Command.link(invoice.id)]
        self.message_post(
            body=Markup(self.env._("Invoice %s created.")) % invoice._get_html_link(),
            subtype_xmlid="mail.mt_note",
        )
        return invoice

    def _prepare_invoice_values(self, lines):
        self.ensure_one()
        return {
            "move_type": "out_invoice",
            "partner_id": self.partner_id.address_get(["invoice"])["invoice"],
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "invoice_origin": self.name,
            "invoice_user_id": self.env.user.id,
            "invoice_line_ids": [
                Command.create(line._prepare_invoice_line_values()) for line in lines
            ],
        }
