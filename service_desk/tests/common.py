from odoo.tests import TransactionCase, new_test_user

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT


class ServiceDeskCommon(TransactionCase):
    """Users for each Service Desk group, a customer company with contacts and a category."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **DISABLED_MAIL_CONTEXT))
        cls.company = cls.env.company
        cls.technician = new_test_user(
            cls.env,
            login="sd_technician",
            name="Tina Technician",
            groups="base.group_user,service_desk.group_service_desk_own",
        )
        cls.technician_2 = new_test_user(
            cls.env,
            login="sd_technician_2",
            name="Theo Technician",
            groups="base.group_user,service_desk.group_service_desk_own",
        )
        cls.officer = new_test_user(
            cls.env,
            login="sd_officer",
            name="Olga Officer",
            groups="base.group_user,service_desk.group_service_desk_user,"
            "sales_team.group_sale_salesman,account.group_account_invoice",
        )
        cls.manager = new_test_user(
            cls.env,
            login="sd_manager",
            name="Max Manager",
            groups="base.group_user,service_desk.group_service_desk_manager",
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Fix-It Customer Ltd", "is_company": True})
        cls.contact_a, cls.contact_b = Partner.create(
            [
                {"name": "Ann Contact", "parent_id": cls.customer.id},
                {"name": "Bob Contact", "parent_id": cls.customer.id},
            ]
        )
        cls.other_customer = Partner.create({"name": "Somebody Else"})
        cls.stage_received = cls.env.ref("service_desk.service_stage_received")
        cls.stage_diagnosing = cls.env.ref("service_desk.service_stage_diagnosing")
        cls.stage_approval = cls.env.ref("service_desk.service_stage_waiting_approval")
        cls.stage_in_progress = cls.env.ref("service_desk.service_stage_in_progress")
        cls.stage_ready = cls.env.ref("service_desk.service_stage_ready")
        cls.stage_delivered = cls.env.ref("service_desk.service_stage_delivered")
        cls.checklist_intake = cls.env.ref("service_desk.service_checklist_template_intake")
        cls.checklist_quality = cls.env.ref("service_desk.service_checklist_template_quality")
        cls.category = cls.env["service.category"].create(
            {
                "name": "Test Phones",
                "checklist_template_ids": [(6, 0, cls.checklist_intake.ids)],
                "job_properties_definition": [
                    {"name": "imei", "string": "IMEI", "type": "char"},
                ],
            }
        )

    @classmethod
    def _create_job(cls, user=None, **values):
        vals = {"partner_id": cls.customer.id, "title": "Broken screen", **values}
        Job = cls.env["service.job"]
        if user:
            Job = Job.with_user(user)
        return Job.create(vals)
