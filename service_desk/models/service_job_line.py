from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare
from odoo.tools.sql import column_exists, create_column, table_exists

# Product types allowed per line type (Odoo 18: "consu" covers storable and consumable goods).
PRODUCT_TYPE_BY_LINE_TYPE = {"part": "consu", "labour": "service"}
# Who reads costs and margins: officers (technicians see prices, not what the shop pays).
COST_GROUP = "service_desk.group_service_desk_user"


class ServiceJobLine(models.Model):
    _name = "service.job.line"
    _description = "Service Job Part or Labour Line"
    _order = "job_id, sequence, id"
    _check_company_auto = True

    job_id = fields.Many2one("service.job", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="job_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="job_id.currency_id")
    partner_id = fields.Many2one(related="job_id.partner_id")
    sequence = fields.Integer(default=10)
    line_type = fields.Selection(
        [("part", "Part"), ("labour", "Labour")], string="Type", required=True, default="part"
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        index=True,
        check_company=True,
        domain="[('sale_ok', '=', True),"
        " ('type', '=', line_type == 'labour' and 'service' or 'consu')]",
    )
    name = fields.Text(
        string="Description", compute="_compute_name", store=True, readonly=False, precompute=True
    )
    technician_id = fields.Many2one(
        "res.users",
        check_company=True,
        index="btree_not_null",
        domain="[('share', '=', False)]",
        help="Who did the work (labour lines).",
    )
    quantity = fields.Float(
        default=1.0, digits="Product Unit of Measure", help="Hours for labour lines."
    )
    product_uom_category_id = fields.Many2one(related="product_id.uom_id.category_id")
    product_uom_id = fields.Many2one(
        "uom.uom",
        string="Unit",
        compute="_compute_product_uom_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('category_id', '=', product_uom_category_id)]",
    )
    is_warranty = fields.Boolean(
        string="Warranty",
        compute="_compute_is_warranty",
        store=True,
        readonly=False,
        precompute=True,
        help="Not charged: covered by the warranty of the job this one is a claim of.",
    )
    price_unit = fields.Float(
        string="Unit Price",
        digits="Product Price",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        precompute=True,
        help="From the customer's pricelist for the line's quantity and unit (recomputed when "
        "they change, unless the price was set by hand or the line is invoiced); the hourly "
        "rate for labour lines.",
    )
    # As sale.order.line's: the last price computed; a price_unit that differs from it was set
    # by hand and is kept when the quantity or unit changes.
    technical_price_unit = fields.Float(digits="Product Price")
    discount = fields.Float(string="Disc.%", digits="Discount")
    tax_ids = fields.Many2many(
        "account.tax",
        string="Taxes",
        compute="_compute_tax_ids",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        domain="[('type_tax_use', '=', 'sale')]",
    )
    cost_unit = fields.Float(
        string="Unit Cost",
        groups=COST_GROUP,
        digits="Product Price",
        compute="_compute_cost_unit",
        store=True,
        readonly=False,
        precompute=True,
        help="The product's cost in the job's unit, in the company's currency.",
    )
    price_subtotal = fields.Monetary(string="Subtotal", compute="_compute_amounts", store=True)
    price_tax = fields.Monetary(string="Tax", compute="_compute_amounts", store=True)
    price_total = fields.Monetary(string="Total", compute="_compute_amounts", store=True)
    cost_subtotal = fields.Monetary(
        string="Cost", compute="_compute_amounts", store=True, groups=COST_GROUP
    )
    margin = fields.Monetary(compute="_compute_amounts", store=True, groups=COST_GROUP)
    # Billing
    sale_line_ids = fields.One2many(
        "sale.order.line", "service_job_line_id", string="Quotation Lines", readonly=True
    )
    invoice_line_ids = fields.One2many(
        "account.move.line", "service_job_line_id", string="Invoice Lines", readonly=True
    )
    qty_invoiced = fields.Float(
        string="Invoiced",
        digits="Product Unit of Measure",
        compute="_compute_qty_invoiced",
        store=True,
        help="Quantity on the customer invoices of this line (not cancelled), less credit notes.",
    )
    qty_to_invoice = fields.Float(
        string="To Invoice", digits="Product Unit of Measure", compute="_compute_qty_to_invoice"
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("product_id")
    def _compute_name(self):
        for line in self:
            if not line.product_id:
                continue
            product = line.product_id.with_context(lang=line.job_id.partner_id.lang)
            line.name = "\n".join(filter(None, [product.display_name, product.description_sale]))

    @api.depends("product_id")
    def _compute_product_uom_id(self):
        for line in self:
            if (
                not line.product_uom_id
                or line.product_uom_id.category_id != line.product_id.uom_id.category_id
            ):
                line.product_uom_id = line.product_id.uom_id

    @api.depends("job_id.is_under_warranty")
    def _compute_is_warranty(self):
        for line in self:
            line.is_warranty = line.job_id.is_under_warranty

    @api.depends("product_id", "product_uom_id", "quantity", "is_warranty")
    def _compute_price_unit(self):
        """The pricelist's price for the line's product, quantity and unit (0 under warranty),
        as sale.order.line does: a price set by hand (it differs from the last computed one)
        or a line already invoiced keeps its price."""
        for line in self:
            if not line.is_warranty and line._is_price_kept():
                continue
            price = 0.0 if line.is_warranty else line._get_pricelist_price()
            line.price_unit = price
            line.technical_price_unit = price

    @api.depends("product_id")
    def _compute_tax_ids(self):
        for line in self:
            company = line.company_id or self.env.company
            taxes = line.product_id.taxes_id._filter_taxes_by_company(company)
            line.tax_ids = line._get_fiscal_position().map_tax(taxes)

    @api.depends("product_id", "product_uom_id")
    def _compute_cost_unit(self):
        for line in self:
            product = line.product_id.with_company(line.company_id or self.env.company)
            cost = product.standard_price
            if line.product_uom_id and product.uom_id:
                cost = product.uom_id._compute_price(cost, line.product_uom_id)
            line.cost_unit = cost

    @api.depends("quantity", "price_unit", "discount", "tax_ids", "cost_unit")
    def _compute_amounts(self):
        for line in self:
            price = line.price_unit * (1.0 - (line.discount or 0.0) / 100.0)
            currency = line.currency_id or self.env.company.currency_id
            taxes = line.tax_ids.compute_all(
                price, currency, line.quantity, product=line.product_id, partner=line.partner_id
            )
            line.price_subtotal = taxes["total_excluded"]
            line.price_total = taxes["total_included"]
            line.price_tax = taxes["total_included"] - taxes["total_excluded"]
            line.cost_subtotal = currency.round(line.cost_unit * line.quantity)
            line.margin = line.price_subtotal - line.cost_subtotal

    @api.depends(
        "quantity",
        "invoice_line_ids.parent_state",
        "invoice_line_ids.quantity",
        "invoice_line_ids.product_uom_id",
    )
    def _compute_qty_invoiced(self):
        for line in self:
            invoiced = 0.0
            uom = line.product_uom_id
            for invoice_line in line.invoice_line_ids:
                if invoice_line.parent_state == "cancel":
                    continue
                qty = invoice_line.product_uom_id._compute_quantity(invoice_line.quantity, uom)
                if invoice_line.move_id.move_type == "out_invoice":
                    invoiced += qty
                elif invoice_line.move_id.move_type == "out_refund":
                    invoiced -= qty
            line.qty_invoiced = invoiced

    @api.depends("quantity", "qty_invoiced")
    def _compute_qty_to_invoice(self):
        for line in self:
            line.qty_to_invoice = max(line.quantity - line.qty_invoiced, 0.0)

    # ------------------------------------------------------------
    # CONSTRAINTS AND ONCHANGES
    # ------------------------------------------------------------

    @api.constrains("line_type", "product_id")
    def _check_product_type(self):
        for line in self:
            if line.product_id.type != PRODUCT_TYPE_BY_LINE_TYPE[line.line_type]:
                raise ValidationError(
                    self.env._(
                        "%(product)s cannot be used on a %(type)s line: parts are goods,"
                        " labour is a service.",
                        product=line.product_id.display_name,
                        type=dict(line._fields["line_type"]._description_selection(self.env))[
                            line.line_type
                        ],
                    )
                )

    @api.constrains("quantity", "discount")
    def _check_quantity(self):
        for line in self:
            if line.quantity < 0:
                raise ValidationError(self.env._("The quantity of a line cannot be negative."))
            if not 0 <= line.discount <= 100:
                raise ValidationError(self.env._("A discount is between 0 and 100%."))

    @api.onchange("line_type")
    def _onchange_line_type(self):
        if self.product_id and self.product_id.type != PRODUCT_TYPE_BY_LINE_TYPE[self.line_type]:
            self.product_id = False

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _auto_init(self):
        # On the upgrade that adds it, the last computed price of existing lines is their
        # price: they follow their quantity from then on (one UPDATE, not a recompute).
        if table_exists(self.env.cr, self._table) and not column_exists(
            self.env.cr, self._table, "technical_price_unit"
        ):
            create_column(self.env.cr, self._table, "technical_price_unit", "numeric")
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET technical_price_unit = price_unit",
                    SQL.identifier(self._table),
                )
            )
        return super()._auto_init()

    def _add_precomputed_values(self, vals_list):  # pylint: disable=missing-return
        super()._add_precomputed_values(vals_list)
        # A price given on creation is the line's computed price (as on sale order lines).
        for vals in vals_list:
            if "price_unit" in vals and "technical_price_unit" not in vals:
                vals["technical_price_unit"] = vals["price_unit"]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_invoiced(self):
        # sudo: technicians delete lines of their jobs without reading invoices; only whether
        # one of the line's invoice lines is still valid is checked.
        if self.sudo().invoice_line_ids.filtered(lambda aml: aml.parent_state != "cancel"):
            raise UserError(self.env._("A part or labour line already invoiced cannot be deleted."))

    def unlink(self):
        # sudo: the lines of draft quotations built from these job lines go with them (the
        # quotation is rebuilt from the job); confirmed orders keep theirs.
        self.sudo().sale_line_ids.filtered(lambda sol: sol.order_id.state == "draft").unlink()
        return super().unlink()

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_document_description(self):
        """The line's description on quotations and invoices, with the warranty reason."""
        self.ensure_one()
        name = self.name or self.product_id.display_name
        if self.is_warranty:
            # sudo: the original job's reference only, printed for the customer it concerns.
            original = self.job_id.warranty_job_id.sudo()
            reason = (
                self.env._("Under warranty (job %(job)s)", job=original.name)
                if original
                else self.env._("Under warranty")
            )
            name = f"{name}\n{reason}"
        return name

    def _prepare_sale_line_values(self):
        """Values of the quotation line of this job line (create or update)."""
        self.ensure_one()
        return {
            "sequence": self.sequence,
            "product_id": self.product_id.id,
            "name": self._get_document_description(),
            "product_uom_qty": self.quantity,
            "product_uom": self.product_uom_id.id,
            "price_unit": self.price_unit,
            "discount": self.discount,
            "tax_id": [Command.set(self.tax_ids.ids)],
            "service_job_line_id": self.id,
        }

    def _prepare_invoice_line_values(self):
        """Values of the invoice line of what is left to invoice of this job line; linked to
        its confirmed quotation lines so the order does not invoice it again."""
        self.ensure_one()
        values = {
            "sequence": self.sequence,
            "product_id": self.product_id.id,
            "name": self._get_document_description(),
            "quantity": self.qty_to_invoice,
            "product_uom_id": self.product_uom_id.id,
            "price_unit": self.price_unit,
            "discount": self.discount,
            "tax_ids": [Command.set(self.tax_ids.ids)],
            "service_job_line_id": self.id,
        }
        # sudo: only the ids of this line's own confirmed quotation lines are read.
        sale_lines = self.sudo().sale_line_ids.filtered(lambda sol: sol.order_id.state == "sale")
        if sale_lines:
            values["sale_line_ids"] = [Command.link(sol.id) for sol in sale_lines]
        return values

    def _is_price_kept(self):
        """Whether the line keeps its price when its product, quantity or unit changes: set by
        hand (not the last computed price) or already invoiced."""
        self.ensure_one()
        precision = self.env["decimal.precision"].precision_get("Product Price")
        return (
            float_compare(self.technical_price_unit, self.price_unit, precision_digits=precision)
            != 0
            or float_compare(
                self.qty_invoiced, 0.0, precision_rounding=self.product_uom_id.rounding or 0.01
            )
            > 0
        )

    def _has_qty_to_invoice(self):
        self.ensure_one()
        rounding = self.product_uom_id.rounding or 0.01
        return float_compare(self.qty_to_invoice, 0.0, precision_rounding=rounding) > 0

    def _get_fiscal_position(self):
        """The fiscal position of the job's customer in the job's company."""
        self.ensure_one()
        company = self.company_id or self.env.company
        if not self.partner_id:
            return self.env["account.fiscal.position"]
        return (
            self.env["account.fiscal.position"]
            .with_company(company)
            ._get_fiscal_position(self.partner_id)
        )

    def _get_pricelist_price(self):
        """The unit price of the line's product for the job's customer: their pricelist (as a
        quotation would price it), in the line's unit and the job's currency, taxes mapped by
        the fiscal position."""
        self.ensure_one()
        product = self.product_id
        if not product:
            return 0.0
        company = self.company_id or self.env.company
        currency = self.currency_id or company.currency_id
        uom = self.product_uom_id or product.uom_id
        quantity = self.quantity or 1.0
        pricelist = self.partner_id.with_company(company).property_product_pricelist
        product = product.with_company(company)
        if pricelist:
            price = pricelist._get_product_price(
                product, quantity, currency=currency, uom=uom, date=fields.Date.today()
            )
        else:
            price = product.uom_id._compute_price(product.lst_price, uom)
            price = product.currency_id._convert(price, currency, company, fields.Date.today())
        return product._get_tax_included_unit_price_from_price(
            price,
            product_taxes=product.taxes_id._filter_taxes_by_company(company),
            fiscal_position=self._get_fiscal_position(),
        )
