from odoo import fields, models


class ServiceJobLinkMixin(models.AbstractModel):
    """The smart button of the service jobs linked to a document (quotation, invoice).

    The inheriting model defines ``service_job_ids`` (its own relation table)."""

    _name = "service.job.link.mixin"
    _description = "Document linked to service jobs"

    service_job_count = fields.Integer(
        compute="_compute_service_job_count", groups="service_desk.group_service_desk_own"
    )

    def _compute_service_job_count(self):
        for document in self:
            document.service_job_count = len(document.service_job_ids)

    def action_view_service_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("service_desk.service_job_action")
        action["domain"] = [("id", "in", self.service_job_ids.ids)]
        if len(self.service_job_ids) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=self.service_job_ids.id)
        return action
