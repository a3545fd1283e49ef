from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Shipped as "True" by data/ir_config_parameter_data.xml; an absent parameter means off.
    service_desk_public_tracking = fields.Boolean(
        string="Public Job Tracking",
        config_parameter="service_desk.public_tracking",
    )
    service_desk_job_sheet_qr = fields.Boolean(
        string="QR Code on Job Sheet",
        config_parameter="service_desk.job_sheet_qr",
    )
    service_desk_approval_validity_days = fields.Integer(
        string="Approval Link Validity (days)",
        config_parameter="service_desk.approval_validity_days",
        default=14,
    )
    service_job_terms = fields.Html(
        related="company_id.service_job_terms", readonly=False, string="Job Sheet Terms"
    )
    service_manager_id = fields.Many2one(
        related="company_id.service_manager_id", readonly=False, string="Service Manager"
    )
