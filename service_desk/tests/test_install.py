from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestServiceDeskInstall(TransactionCase):
    def test_application_installed_with_demo(self):
        module = self.env["ir.module.module"].search([("name", "=", "service_desk")])
        self.assertEqual(module.state, "installed")
        self.assertTrue(module.application)
        self.assertTrue(module.demo, "the suite's database is created with demo data")
        self.assertEqual(module.icon, "/service_desk/static/description/icon.png")

    def test_group_chain_and_admin(self):
        own = self.env.ref("service_desk.group_service_desk_own")
        officer = self.env.ref("service_desk.group_service_desk_user")
        manager = self.env.ref("service_desk.group_service_desk_manager")
        self.assertIn(own, officer.implied_ids)
        self.assertIn(officer, manager.implied_ids)
        self.assertIn(manager, self.env.ref("base.user_admin").groups_id)
