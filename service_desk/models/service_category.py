from odoo import fields, models


class ServiceCategory(models.Model):
    _name = "service.category"
    _description = "Service Category"
    _order = "sequence, name, id"
    _check_company_auto = True
    _inherit = ["rating.parent.mixin"]

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one("res.company", index=True)
    description = fields.Text(translate=True)
    checklist_template_ids = fields.Many2many(
        "service.checklist.template",
        "service_category_checklist_template_rel",
        "category_id",
        "template_id",
        string="Default Checklists",
        check_company=True,
        help="Checklists added to every new job of this category.",
    )
    service_product_id = fields.Many2one(
        "product.product",
        check_company=True,
        domain=[("sale_ok", "=", True)],
        help="Product used for the line of a quotation created from a job of this category.",
    )
    line_ids = fields.One2many(
        "service.category.line",
        "category_id",
        string="Default Parts & Labour",
        copy=True,
        help="Parts and labour added to a job of this category with 'Add Category Lines'.",
    )
    warranty_months = fields.Integer(
        string="Warranty (months)",
        help="Warranty on the jobs of this category from their closing date; a product's own "
        "period overrides it. 0: no warranty.",
    )
    meter_unit = fields.Selection(
        [
            ("hours", "Hours"),
            ("km", "Kilometres"),
            ("miles", "Miles"),
            ("cycles", "Cycles"),
            ("pages", "Pages"),
            ("units", "Units"),
        ],
        string="Meter",
        help="The equipment of this category has a meter read in this unit: its maintenance "
        "plans may run by meter reading (e.g. every 500 hours). Empty: no meter.",
    )
    job_properties_definition = fields.PropertiesDefinition("Job Properties")
    template_key = fields.Char(index="btree_not_null", copy=False, readonly=True)
    job_count = fields.Integer(compute="_compute_job_count")

    def _compute_job_count(self):
        groups = self.env["service.job"]._read_group(
            [("category_id", "in", self.ids)], ["category_id"], ["__count"]
        )
        counts = {category.id: count for category, count in groups}
        for category in self:
            category.job_count = counts.get(category.id, 0)

    def action_open_ratings(self):
        """The customer ratings of this category's jobs (smart button)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "service_desk.rating_rating_action_service_job"
        )
        action["domain"] = [
            ("res_model", "=", "service.job"),
            ("consumed", "=", True),
            ("parent_res_model", "=", self._name),
            ("parent_res_id", "=", self.id),
        ]
        return action
