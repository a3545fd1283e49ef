from datetime import timedelta
from unittest.mock import patch

from lxml import etree

from odoo import fields
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import config

GUARDIAN_VIEW = "crm_guardian.group_crm_guardian_user"
GUARDIAN_MANAGE = "crm_guardian.group_crm_guardian_manager"


class CrmGuardianCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(
                cls.env.context,
                tracking_disable=True,
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                mail_notrack=True,
                no_reset_password=True,
                # "today" of the findings' ages is the day of the scan's "now" (UTC):
                # not the next day in the user's time zone an hour before midnight
                tz="UTC",
            )
        )
        # the scan's memory budget is a cron worker's (ScanBudget): this test process,
        # which also ran browser tours and holds every addon's registry, may be past it
        cls.startClassPatcher(patch.dict(config.options, {"limit_memory_soft": 0}))
        cls.company = cls.env.company
        cls.salesman = new_test_user(
            cls.env,
            login="cg_salesman",
            groups=f"sales_team.group_sale_salesman,base.group_allow_export,{GUARDIAN_VIEW}",
        )
        cls.salesman_other = new_test_user(
            cls.env,
            login="cg_salesman_other",
            groups=f"sales_team.group_sale_salesman,{GUARDIAN_VIEW}",
        )
        cls.manager = new_test_user(
            cls.env,
            login="cg_manager",
            groups=f"sales_team.group_sale_manager,account.group_account_invoice,{GUARDIAN_MANAGE}",
        )
        # Fixed "now" without microseconds, so that boundaries are exact
        cls.now = fields.Datetime.now().replace(microsecond=0)
        cls.today = cls.now.date()
        cls.stage_new = cls.env["crm.stage"].create({"name": "CG New", "sequence": 1})
        cls.stage_won = cls.env["crm.stage"].create(
            {"name": "CG Won", "sequence": 99, "is_won": True}
        )
        cls.source = cls.env["utm.source"].create({"name": "CG Source"})
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "CG Customer",
                "email": "cg.customer@guardian-test.example",
                "phone": "+32 470 12 34 56",
            }
        )

    # helpers -----------------------------------------------------------

    def scan(self, checks, now=None, user=None):
        scan = self.env["crm.guardian.scan"].with_user(user or self.manager)
        return scan._scan(checks=checks, now=now or self.now)

    def cron_scan_calls(self, chunk=7, max_units=1, limit=5000):
        """Call the scheduled scan as Odoo's cron would, each call limited to
        ``max_units`` units of ``chunk`` source records, until no run is running.
        Returns the number of calls."""
        Scan = self.env["crm.guardian.scan"].with_context(
            guardian_scan_chunk=chunk, guardian_scan_max_units=max_units
        )
        Run = self.env["crm.guardian.scan.run"].sudo()
        for calls in range(1, limit + 1):
            Scan._cron_scan()
            if not Run.search_count([("state", "=", "running")]):
                return calls
        raise AssertionError(f"the scan did not finish in {limit} calls")

    def findings_snapshot(self):
        """What users see of every finding, by key."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT key, state, res_model, res_id, rule_id, risk_score, severity_level,
                      reference_date, reason_params, name, member_res_ids
                 FROM crm_guardian_finding"""
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def backdate_writes(self, *records):
        """Pretend the records were last written long before the last scan."""
        self.env.flush_all()
        for record in records:
            self.env.cr.execute(
                f"UPDATE {record._table} SET write_date = %s WHERE id IN %s",
                (self.now - timedelta(days=3), tuple(record.ids)),
            )
            record.invalidate_recordset()

    def person(self, name, street, zip_, city, **vals):
        """A contact in Australia (the fuzzy duplicate checks' test data)."""
        return self.env["res.partner"].create(
            {
                "name": name,
                "street": street,
                "zip": zip_,
                "city": city,
                "country_id": self.env.ref("base.au").id,
            }
            | vals
        )

    def duplicate_people(self):
        """Three groups of near-duplicate people and one loner."""
        return [
            self.person("Marigold Fenwicke", "14 Tarcoola Street", "2790", "Lithgow"),
            self.person("Marigold Fenwick", "14 Tarcoola St", "2790", "Lithgow"),
            self.person("Fenwicke Marigold", "14 Tarcoola Street", "2790", "Lithgow"),
            self.person("Osric Pemberton", "3 Lyrebird Close", "4870", "Cairns"),
            self.person("Osric Pembertin", "3 Lyrebird Cl", "4870", "Cairns"),
            self.person("Theodora Quaile", "77 Banksia Parade", "6230", "Bunbury"),
            self.person("Theodora Quail", "77 Banksia Pde", "6230", "Bunbury"),
            self.person("Ignatius Morrow", "9 Jarrah Way", "7250", "Launceston"),
        ]

    def forget_scans(self):
        """No finding, no scan run and no scan state: the next scan is a first one."""
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM crm_guardian_finding")
        self.env.cr.execute("DELETE FROM crm_guardian_scan_run")
        self.env.cr.execute("UPDATE crm_guardian_rule SET last_scan_date = NULL")
        self.env.invalidate_all()

    def finding(self, check, record):
        return (
            self.env["crm.guardian.finding"]
            .sudo()
            .search(
                [
                    ("check", "=", check),
                    ("res_model", "=", record._name),
                    ("res_id", "=", record.id),
                ]
            )
        )

    def open_finding(self, check, record):
        return self.finding(check, record).filtered(lambda f: f.state == "open")

    def ago(self, days=0, seconds=0):
        return self.now - timedelta(days=days, seconds=seconds)

    def create_lead(self, **vals):
        values = {
            "name": "CG Lead",
            "type": "opportunity",
            "stage_id": self.stage_new.id,
            "user_id": self.salesman.id,
            "email_from": "lead@guardian-test.example",
            "phone": "+32 470 00 00 01",
            "source_id": self.source.id,
            "partner_name": "CG Lead Company",
        }
        values.update(vals)
        return self.env["crm.lead"].create(values)

    def create_stale_lead(self, days, **vals):
        lead = self.create_lead(**vals)
        lead.write({"date_last_stage_update": self.ago(days)})
        return lead


class GuardianClientMixin:
    """What the web client sends for the findings (list, form, group-by, export),
    as the user of ``Finding``; see :meth:`assertClientSafe`."""

    def client_spec(self, Finding, view_type):
        """The field specification of the user's ``view_type`` view of the findings
        (x2many sub-lists and many2one display names included)."""
        views = Finding.get_views([(False, view_type)])
        arch = etree.fromstring(views["views"][view_type]["arch"])
        return self._spec_of(Finding, arch)

    def _spec_of(self, Model, node):
        spec = {}
        for child in node.iterchildren():
            if child.tag != "field":
                spec.update(self._spec_of(Model, child))
                continue
            field = Model._fields[child.get("name")]
            if field.type in ("one2many", "many2many"):
                sub = next(iter(child.iterfind("list")), None)
                comodel = self.env[field.comodel_name].with_env(Model.env)
                spec[field.name] = {
                    "fields": self._spec_of(comodel, sub) if sub is not None else {}
                }
            elif field.type in ("many2one", "reference"):
                spec.setdefault(field.name, {"fields": {"display_name": {}}})
            else:
                spec.setdefault(field.name, {})
        return spec

    def assertClientSafe(self, Finding, secrets, domain=()):
        """List page, form of every listed finding, group-by on every groupable
        field and export, as the client sends them: nothing raises an AccessError and
        no answer contains one of ``secrets`` (names of records the user may not
        read). Returns the listed records."""
        list_spec = self.client_spec(Finding, "list")
        page = Finding.web_search_read(list(domain), list_spec, limit=80, count_limit=10001)
        answers = [page]
        ids = [row["id"] for row in page["records"]]
        form_spec = self.client_spec(Finding, "form")
        for finding_id in ids:  # one by one, as the form opens them
            answers.append(Finding.browse(finding_id).web_read(form_spec))
        for fname, info in Finding.fields_get(attributes=["groupable"]).items():
            if info.get("groupable"):
                answers.append(Finding.web_read_group(list(domain), [fname], [fname]))
        records = Finding.browse(ids)
        export_fields = [f for f in list_spec if f in Finding._fields]
        export_fields += ["reason", "member_note", "lead_ids/name", "partner_ids/name"]
        answers.append(records.export_data(export_fields))
        text = repr(answers)
        for secret in secrets:
            self.assertNotIn(secret, text, f"{Finding.env.user.login} reads {secret!r}")
        return records
