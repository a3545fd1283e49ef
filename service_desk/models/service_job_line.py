from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Product types allowed per line type (Odoo 18: "consu" covers storable and consumable goods).
PRODUCT_TYPE_BY_LINE_TYPE = {"part": "consu", "labour": "service"}


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
    price_unit = fields.Float(
        string="Unit Price",
        digits="Product Price",
        compute="_compute_price_unit",
        store=True,
        readonly=False,
        precompute=True,
        help="From the customer's pricelist; the hourly rate for labour lines.",
    )
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
    cost_subtotal = fields.Monetary(string="Cost", compute="_compute_amounts", store=True)
    margin = fields.Monetary(compute="_compute_amounts", store=True)

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

    @api.depends("product_id", "product_uom_id", "quantity")
    def _compute_price_unit(self):
        for line in self:
            line.price_unit = line._get_pricelist_price()

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
    # BUSINESS METHODS
    # ------------------------------------------------------------

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
