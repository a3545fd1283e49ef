from odoo import fields, models


class ServiceStage(models.Model):
    _inherit = "service.stage"

    consume_parts = fields.Boolean(
        help="Jobs reaching this stage consume their parts from the warehouse's stock.",
    )
