from odoo import api, models
from odoo.tools import format_date, format_datetime, html2plaintext


class ReportServiceJob(models.AbstractModel):
    """Values of the job sheet and of the intake receipt: the jobs, and their custom fields
    (category properties) as people read them."""

    _name = "report.service_desk.report_service_job"
    _description = "Service Job Sheet"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["service.job"].browse(docids)
        # A clear AccessError up front rather than one wrapped in a rendering error.
        docs.check_access("read")
        return {
            "doc_ids": docids,
            "doc_model": "service.job",
            "docs": docs,
            "job_properties": self._get_job_properties,
        }

    @api.model
    def _get_job_properties(self, job):
        """``[(label, text)]`` of the job's properties that have a value, in the definition's
        order: Yes/No for booleans (always shown), the label of a selection or tag, dates in
        the format of the language the report is printed in."""
        lines = []
        for prop in job.read(["job_properties"])[0]["job_properties"]:
            text = self._format_property(prop, job.env.lang)
            if text:
                lines.append((prop.get("string") or prop.get("name"), text))
        return lines

    @api.model
    def _format_property(self, prop, lang):
        """The text printed for one property (as read), or "" to leave it out."""
        kind, value = prop.get("type"), prop.get("value")
        if kind == "boolean":
            return self.env._("Yes") if value else self.env._("No")
        if kind == "separator" or value in (False, None, "", []):
            return ""
        if kind == "selection":
            return dict(prop.get("selection") or []).get(value, value)
        if kind == "tags":
            labels = {tag[0]: tag[1] for tag in prop.get("tags") or []}
            return ", ".join(labels.get(tag, tag) for tag in value)
        if kind == "date":
            return format_date(self.env, value, lang_code=lang)
        if kind == "datetime":
            return format_datetime(self.env, value, lang_code=lang)
        if kind == "many2one":
            return value[1] if isinstance(value, (list, tuple)) else str(value)
        if kind == "many2many":
            return ", ".join(record[1] for record in value)
        if kind == "html":
            return html2plaintext(value).strip()
        if kind == "float":
            return f"{value:g}"
        return str(value)


class ReportServiceJobReceipt(models.AbstractModel):
    _name = "report.service_desk.report_service_job_receipt"
    _inherit = "report.service_desk.report_service_job"
    _description = "Service Job Intake Receipt"
