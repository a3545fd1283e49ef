from odoo import api, fields, models

from .service_job_line import PRODUCT_TYPE_BY_LINE_TYPE


class ServiceCategoryLine(models.Model):
    _name = "service.category.line"
    _description = "Service Category Default Part or Labour Line"
    _order = "category_id, sequence, id"
    _check_company_auto = True

    category_id = fields.Many2one("service.category", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="category_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    line_type = fields.Selection(
        [("part", "Part"), ("labour", "Labour")], string="Type", required=True, default="part"
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        check_company=True,
        domain="[('sale_ok', '=', True),"
        " ('type', '=', line_type == 'labour' and 'service' or 'consu')]",
    )
    name = fields.Text(string="Description", help="Leave empty to use the product's.")
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")

    @api.onchange("line_type")
    def _onchange_line_type(self):
        if self.product_id and self.product_id.type != PRODUCT_TYPE_BY_LINE_TYPE[self.line_type]:
            self.product_id = False

    def _prepare_job_line_values(self, job):
        """Values of the job line this default line adds to ``job``."""
        self.ensure_one()
        values = {
            "job_id": job.id,
            "sequence": self.sequence,
            "line_type": self.line_type,
            "product_id": self.product_id.id,
            "quantity": self.quantity,
        }
        if self.name:
            values["name"] = self.name
        return values
