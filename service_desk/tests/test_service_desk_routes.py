from odoo import http
from odoo.tests import TransactionCase, tagged

# GET pages that only read: Odoo 18 serves them from a read replica when one is configured
# (--db_replica_host); everything that writes stays on the primary.
READ_ONLY = {
    ("/service/track", "GET"),
    ("/service/track/<int:job_id>/<string:key>", "GET"),
    ("/my/service_jobs", "GET"),
    ("/my/service_jobs/<int:job_id>", "GET"),
}
READ_WRITE = {
    # counts failed guesses
    ("/service/track", "POST"),
    # may expire the request before showing it
    ("/service/approval/<string:token>", "GET"),
    # records the decision
    ("/service/approval/<string:token>/decide", "POST"),
}


@tagged("post_install", "-at_install")
class TestServiceDeskRoutes(TransactionCase):
    def _routes(self):
        """``{(path, method): readonly}`` of the addon's routes, as Odoo dispatches them."""
        routes = {}
        modules = sorted(self.env.registry._init_modules)
        for url, endpoint in http._generate_routing_rules(modules, nodb_only=False):
            for method in endpoint.routing.get("methods") or ("GET", "POST"):
                routes[(url, method)] = endpoint.routing["readonly"]
        return routes

    def test_pages_that_only_read_may_use_a_replica(self):
        routes = self._routes()
        for key in READ_ONLY:
            self.assertIs(routes.get(key), True, f"{key} reads only: readonly=True")
        for key in READ_WRITE:
            self.assertIs(routes.get(key), False, f"{key} writes: read/write")
