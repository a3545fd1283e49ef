from odoo import fields, models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "service.job.link.mixin"]

    service_job_ids = fields.Many2many(
        "service.job",
        "service_job_account_move_rel",
        "move_id",
        "job_id",
        string="Service Jobs",
        copy=False,
        groups="service_desk.group_service_desk_own",
    )
