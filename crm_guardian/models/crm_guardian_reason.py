"""The reason of a finding, rendered when read, in the reader's language."""

from datetime import datetime

from odoo import api, fields, models
from odoo.tools import format_amount, format_date, format_datetime, formatLang

# models whose records a reason may name by id (``{"record": [model, id]}``): stage
# names, which every user who may read the finding's record may read too
NAMED_MODELS = ("crm.stage", "helpdesk.ticket.stage")


class CrmGuardianReason(models.AbstractModel):
    """Renders a check's reason from the facts a scan stored (``reason_params``).

    A check declares its reason once, in :meth:`crm.guardian.scan._get_checks`
    (``reason``: a translatable text with ``%(name)s`` placeholders, or a dict of such
    texts chosen by ``params["variant"]``); its findings store only facts, in JSON:

    - a number or a text: shown as it is;
    - ``{"date": "YYYY-MM-DD"}``, ``{"datetime": "YYYY-MM-DD HH:MM:SS"}`` (UTC): in the
      reader's date format (and time zone);
    - ``{"amount": 12.5, "currency_id": 2}``: in the reader's number format;
    - ``{"labels": ["email", "phone"]}``: the words of :meth:`_labels`, translated, joined;
    - ``{"record": ["crm.stage", 4]}``: the record's name (models of ``NAMED_MODELS``).

    Facts that change by themselves every day are never stored: ``age`` (days since
    the reference date), ``days`` (days until it), ``date`` (the reference date) and
    ``threshold`` are added when rendered. So a nightly scan rewrites a finding only
    when something a user sees changed (its risk, level, amount, members...), and a
    digest speaks its recipient's language.
    """

    _name = "crm.guardian.reason"
    _description = "CRM Guardian: Finding Reasons"

    @api.model
    def _labels(self):
        """The words a reason may list (missing fields, compared fields), translated."""
        return {
            "email": self.env._("email"),
            "phone": self.env._("phone"),
            "address": self.env._("address"),
            "source": self.env._("source"),
            "salesperson": self.env._("salesperson"),
            "company name": self.env._("company name"),
            "name": self.env._("name"),
            "no stage": self.env._("no stage"),
        }

    @api.model
    def _render_many(self, items, today=None):
        """Texts of ``items``, a list of ``(check, params, reference_date, threshold)``,
        in the language of ``self.env``; ``""`` for a check no longer installed or a
        finding without facts (stored before facts were)."""
        today = today or fields.Date.context_today(self)
        templates = {
            code: check.get("reason")
            for code, check in self.env["crm.guardian.scan"]._get_checks().items()
        }
        names = self._record_names(params for _check, params, _date, _threshold in items)
        labels = self._labels()
        return [
            self._render(templates.get(check), params, reference, threshold, today, names, labels)
            for check, params, reference, threshold in items
        ]

    @api.model
    def _render(self, template, params, reference_date, threshold, today, names, labels):
        if isinstance(template, dict):
            template = template.get((params or {}).get("variant"))
        if params and "legacy" in params:
            # a sentence stored by an earlier version, until the next full scan
            return params["legacy"] or ""
        if not template or params is None:
            return ""
        values = {"threshold": threshold or 0}
        if reference_date:
            age = (today - reference_date).days
            values.update(age=age, days=-age, date=format_date(self.env, reference_date))
        for key, value in params.items():
            values[key] = self._format(value, names, labels)
        try:
            return template % values
        except (KeyError, TypeError, ValueError):
            # a translation that names a placeholder the facts do not have
            return ""

    @api.model
    def _format(self, value, names, labels):
        if not isinstance(value, dict):
            return value
        if "date" in value:
            return format_date(self.env, value["date"])
        if "datetime" in value:
            return format_datetime(self.env, value["datetime"], dt_format="short")
        if "amount" in value:
            currency = self.env["res.currency"].browse(value.get("currency_id")).exists()
            if not currency:
                return formatLang(self.env, value["amount"] or 0.0)
            return format_amount(self.env, value["amount"] or 0.0, currency)
        if "labels" in value:
            return ", ".join(labels.get(label, label) for label in value["labels"])
        if "record" in value:
            return names.get(tuple(value["record"]), "")
        return ""

    @api.model
    def _record_names(self, params_list):
        """``{(model, id): name}`` of the records the params name, one read per model."""
        ids = {}
        for params in params_list:
            for value in (params or {}).values():
                if isinstance(value, dict) and value.get("record"):
                    model, record_id = value["record"]
                    if model in NAMED_MODELS and model in self.env:
                        ids.setdefault(model, set()).add(record_id)
        names = {}
        for model, record_ids in ids.items():
            # sudo: stage names only (NAMED_MODELS), shown with a finding the reader may
            # read, whose record is in that stage
            for record in self.env[model].sudo().browse(record_ids).exists():
                names[model, record.id] = record.display_name
        return names

    @api.model
    def _date_fact(self, value):
        """The JSON fact of a date (or datetime: its day) to store in ``reason_params``."""
        if not value:
            return False
        day = value.date() if isinstance(value, datetime) else value
        return {"date": fields.Date.to_string(day)}
