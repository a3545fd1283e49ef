from odoo import fields, models


class ServiceChecklistTemplateLine(models.Model):
    _name = "service.checklist.template.line"
    _description = "Service Checklist Template Item"
    _order = "sequence, id"

    template_id = fields.Many2one(
        "service.checklist.template", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
