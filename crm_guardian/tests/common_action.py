from datetime import timedelta

from odoo.tests import new_test_user

from .common import GUARDIAN_VIEW, CrmGuardianCommon


class CrmGuardianActionCommon(CrmGuardianCommon):
    """Stale-lead findings of two salespeople; every other finding resolved so that
    demo data cannot change the counts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.idle = new_test_user(
            cls.env,
            login="cg_idle",
            email="cg.idle@guardian-test.example",
            groups=f"sales_team.group_sale_salesman,{GUARDIAN_VIEW}",
        )
        for user in (cls.salesman, cls.salesman_other, cls.manager):
            user.email = f"{user.login}@guardian-test.example"
        cls.lead_old = cls._stale_lead(60, name="CG Very Stale Lead")
        cls.lead_new = cls._stale_lead(20, name="CG Stale Lead")
        cls.lead_other = cls._stale_lead(30, name="CG Other Lead", user_id=cls.salesman_other.id)
        cls.lead_nobody = cls._stale_lead(30, name="CG Nobody Lead", user_id=False)
        cls.env["crm.guardian.scan"].with_user(cls.manager)._scan(
            checks=["stale_lead"], now=cls.now
        )
        Finding = cls.env["crm.guardian.finding"].sudo()
        cls.leads = cls.lead_old | cls.lead_new | cls.lead_other | cls.lead_nobody
        cls.findings = Finding.search(
            [("check", "=", "stale_lead"), ("res_id", "in", cls.leads.ids)]
        )
        assert len(cls.findings) == 4, cls.findings
        Finding.search([("id", "not in", cls.findings.ids), ("state", "!=", "resolved")]).write(
            {"state": "resolved"}
        )
        by_lead = {finding.res_id: finding for finding in cls.findings}
        cls.f_old = by_lead[cls.lead_old.id]
        cls.f_new = by_lead[cls.lead_new.id]
        cls.f_other = by_lead[cls.lead_other.id]
        cls.f_nobody = by_lead[cls.lead_nobody.id]

    @classmethod
    def _stale_lead(cls, days, **vals):
        values = {
            "type": "opportunity",
            "stage_id": cls.stage_new.id,
            "user_id": cls.salesman.id,
            "email_from": "lead@guardian-test.example",
            "phone": "+32 470 00 00 01",
            "source_id": cls.source.id,
            "partner_name": "CG Lead Company",
        }
        values.update(vals)
        lead = cls.env["crm.lead"].create(values)
        lead.write({"date_last_stage_update": cls.now - timedelta(days=days)})
        return lead

    def set_param(self, name, value):
        self.env["ir.config_parameter"].sudo().set_param(f"crm_guardian.{name}", value)
