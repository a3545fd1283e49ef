from odoo import api, models
from odoo.tools import split_every

# A4 sheet of labels: 3 columns x 8 rows of 70 x 37 mm (Avery 3474 and the like).
SHEET_COLUMNS = 3
SHEET_ROWS = 8


class ReportServiceJobLabel(models.AbstractModel):
    """Values of the 62 x 29 mm item label: the jobs (read access checked up front)."""

    _name = "report.service_desk.report_service_job_label"
    _description = "Service Job Item Label"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["service.job"].browse(docids)
        docs.check_access("read")
        return {"doc_ids": docids, "doc_model": "service.job", "docs": docs}


class ReportServiceJobLabelSheet(models.AbstractModel):
    """Values of the A4 sheet of labels: ``pages``, lists of rows of jobs (the last row
    completed with None)."""

    _name = "report.service_desk.report_service_job_label_sheet"
    _inherit = "report.service_desk.report_service_job_label"
    _description = "Service Job Item Labels (A4 sheet)"

    @api.model
    def _get_report_values(self, docids, data=None):
        values = super()._get_report_values(docids, data=data)
        # Rows filled up with None, so a short last row keeps the columns' widths.
        values["pages"] = [
            [
                list(row) + [None] * (SHEET_COLUMNS - len(row))
                for row in split_every(SHEET_COLUMNS, page)
            ]
            for page in split_every(SHEET_COLUMNS * SHEET_ROWS, values["docs"])
        ]
        return values
