from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    service_job_terms = fields.Html(
        string="Job Sheet Terms",
        translate=True,
        help="Terms and conditions printed on the job sheet.",
    )
