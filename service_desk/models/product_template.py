from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    service_warranty_months = fields.Integer(
        string="Repair Warranty (months)",
        help="Warranty given on a service job that uses this product; overrides the period of "
        "the job's category. The longest period of the job's products applies.",
    )
