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

    def _reverse_moves(self, default_values_list=None, cancel=False):
        """The credit note of a job's invoice is the job's too (its Invoices button)."""
        reverses = super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)
        # sudo: accountants reverse invoices without a Service Desk group; only the jobs the
        # reversed invoice was already linked to are linked to its credit note.
        for move, reverse in zip(self.sudo(), reverses.sudo(), strict=True):
            if move.service_job_ids:
                reverse.service_job_ids = move.service_job_ids
        return reverses
