from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    service_job_terms = fields.Html(
        string="Job Sheet Terms",
        translate=True,
        help="Terms and conditions printed on the job sheet.",
    )
    service_manager_id = fields.Many2one(
        "res.users",
        domain=[("share", "=", False)],
        help="Follows up unhappy customers: gets an activity on each job rated Dissatisfied. "
        "Empty: the first Service Desk manager of the company.",
    )
