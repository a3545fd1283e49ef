from odoo.tests import HttpCase, new_test_user, tagged

# Logs success once the selector is on the page; any client error fails the test first.
WAIT_FOR = """
    const selector = %r;
    const wait = () => document.querySelector(selector)
        ? console.log("test successful")
        : setTimeout(wait, 100);
    wait();
"""


@tagged("post_install", "-at_install")
class TestServiceJobUi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.technician = new_test_user(
            cls.env,
            login="sd_ui_technician",
            groups="base.group_user,service_desk.group_service_desk_own",
        )
        cls.manager = new_test_user(
            cls.env,
            login="sd_ui_manager",
            groups="base.group_user,service_desk.group_service_desk_manager,"
            "sales_team.group_sale_salesman,account.group_account_invoice",
        )
        category = cls.env["service.category"].create(
            {
                "name": "UI Phones",
                "checklist_template_ids": [
                    (6, 0, cls.env.ref("service_desk.service_checklist_template_intake").ids)
                ],
                "job_properties_definition": [{"name": "imei", "string": "IMEI", "type": "char"}],
            }
        )
        cls.job = (
            cls.env["service.job"]
            .with_user(cls.technician)
            .create(
                {
                    "partner_id": cls.env["res.partner"].create({"name": "UI Customer"}).id,
                    "title": "UI job",
                    "category_id": category.id,
                    "job_properties": {"imei": "123"},
                }
            )
        )

    def _open(self, path, selector, login):
        self.browser_js(path, WAIT_FOR % selector, login=login, timeout=120)

    def test_technician_kanban_and_form(self):
        action = "/odoo/action-service_desk.service_job_action"
        self._open(action, ".o_kanban_record .o_field_widget", "sd_ui_technician")
        self._open(
            f"{action}/{self.job.id}", ".o_form_view .o_statusbar_status", "sd_ui_technician"
        )

    def test_manager_views(self):
        action = "/odoo/action-service_desk.service_job_action"
        self._open(f"{action}?view_type=list", ".o_list_view .o_data_row", "sd_ui_manager")
        self._open(f"{action}?view_type=calendar", ".o_calendar_view", "sd_ui_manager")
        self._open(f"{action}?view_type=pivot", ".o_pivot", "sd_ui_manager")
        self._open(
            "/odoo/action-service_desk.service_stage_action_dashboard",
            ".o_kanban_record a[name='action_open_jobs']",
            "sd_ui_manager",
        )
        self._open(
            f"{action}/{self.job.id}",
            ".o_form_view button[name='action_create_quotation']",
            "sd_ui_manager",
        )
