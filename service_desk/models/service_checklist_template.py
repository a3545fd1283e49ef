from odoo import fields, models


class ServiceChecklistTemplate(models.Model):
    _name = "service.checklist.template"
    _description = "Service Checklist Template"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        [
            ("intake", "Intake"),
            ("diagnosis", "Diagnosis"),
            ("quality", "Quality Check"),
            ("delivery", "Delivery"),
            ("other", "Other"),
        ],
        required=True,
        default="intake",
    )
    company_id = fields.Many2one("res.company", index=True)
    line_ids = fields.One2many(
        "service.checklist.template.line", "template_id", string="Items", copy=True
    )
    template_key = fields.Char(index="btree_not_null", copy=False, readonly=True)
