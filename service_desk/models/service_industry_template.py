from markupsafe import Markup, escape

from odoo import Command, api, fields, models


class ServiceIndustryTemplate(models.Model):
    """A ready-made set-up for one trade (mobile repair, HVAC ...).

    ``setup_data`` describes what :meth:`action_apply` creates::

        {
            "stages": [{"key": "parts", "name": "Waiting for Parts", "sequence": 35}],
            "checklists": [
                {"key": "intake", "name": "Phone Intake", "kind": "intake", "items": ["..."]}
            ],
            "categories": [
                {
                    "key": "screen",
                    "name": "Screen Repair",
                    "checklists": ["intake"],
                    "properties": [{"name": "imei", "string": "IMEI", "type": "char"}],
                }
            ],
        }

    Every record created gets a ``template_key`` (``<code>/<kind>/<key>``, or ``stage/<key>``
    for stages, which all trades share), so applying the template again finds it and creates
    nothing twice.
    """

    _name = "service.industry.template"
    _description = "Service Industry Template"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    setup_data = fields.Json(required=True, default=dict)
    setup_summary = fields.Html(compute="_compute_setup_summary", sanitize=False)
    applied_date = fields.Datetime(string="Last Applied On", readonly=True, copy=False)

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The code of an industry template must be unique."),
    ]

    @api.depends("setup_data")
    def _compute_setup_summary(self):
        for template in self:
            data = template.setup_data or {}
            parts = []
            for title, key in (
                (self.env._("Categories"), "categories"),
                (self.env._("Stages"), "stages"),
                (self.env._("Checklists"), "checklists"),
            ):
                names = [escape(entry.get("name", "")) for entry in data.get(key, [])]
                if names:
                    parts.append(
                        Markup("<p><strong>%s:</strong> %s</p>") % (title, Markup(", ").join(names))
                    )
            template.setup_summary = Markup("").join(parts)

    def action_apply(self):
        """Create the template's stages, checklists and categories that do not exist yet."""
        for template in self:
            template._apply()
        self.applied_date = fields.Datetime.now()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("Industry template applied."),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _apply(self):
        self.ensure_one()
        data = self.setup_data or {}
        Stage = self.env["service.stage"].with_context(active_test=False)
        Checklist = self.env["service.checklist.template"].with_context(active_test=False)
        Category = self.env["service.category"].with_context(active_test=False)

        for entry in data.get("stages", []):
            key = self._key("stage", entry)
            if not Stage.search_count([("template_key", "=", key)], limit=1):
                Stage.create(
                    {
                        "template_key": key,
                        "name": entry["name"],
                        "sequence": entry.get("sequence", 10),
                        "fold": entry.get("fold", False),
                        "is_closed": entry.get("is_closed", False),
                    }
                )

        checklists = {}
        for entry in data.get("checklists", []):
            key = self._key("checklist", entry)
            checklist = Checklist.search([("template_key", "=", key)], limit=1)
            if not checklist:
                checklist = Checklist.create(
                    {
                        "template_key": key,
                        "name": entry["name"],
                        "kind": entry.get("kind", "other"),
                        "line_ids": [
                            Command.create({"name": item, "sequence": index})
                            for index, item in enumerate(entry.get("items", []))
                        ],
                    }
                )
            checklists[entry["key"]] = checklist

        for entry in data.get("categories", []):
            key = self._key("category", entry)
            if Category.search_count([("template_key", "=", key)], limit=1):
                continue
            templates = [checklists[k].id for k in entry.get("checklists", []) if k in checklists]
            Category.create(
                {
                    "template_key": key,
                    "name": entry["name"],
                    "checklist_template_ids": [Command.set(templates)],
                    "job_properties_definition": entry.get("properties", []),
                }
            )

    def _key(self, kind, entry):
        # Stages are shared by all trades: "Waiting for Parts" is created once.
        if kind == "stage":
            return f"stage/{entry['key']}"
        return f"{self.code}/{kind}/{entry['key']}"
