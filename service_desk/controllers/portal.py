from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.osv import expression

from odoo.addons.portal.controllers import portal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from .common import clean_text, is_db_id, is_token


class ServiceDeskCustomerPortal(portal.CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "service_job_count" in counters:
            Job = request.env["service.job"]
            values["service_job_count"] = Job.search_count([]) if Job.has_access("read") else 0
        return values

    def _service_job_get_searchbar_sortings(self):
        env = request.env
        return {
            "date": {"label": env._("Newest"), "order": "create_date desc, id desc"},
            "name": {"label": env._("Reference"), "order": "name desc, id desc"},
            "stage": {"label": env._("Stage"), "order": "stage_id, id desc"},
        }

    def _service_job_get_searchbar_inputs(self):
        env = request.env
        return {
            "all": {"input": "all", "label": env._("Search in All")},
            "name": {"input": "name", "label": env._("Search in Reference")},
            "title": {"input": "title", "label": env._("Search in Subject")},
            "item": {"input": "item", "label": env._("Search in Item")},
        }

    def _service_job_get_search_domain(self, search_in, search):
        if not search:
            return []
        item = expression.OR(
            [
                [("item_type", "ilike", search)],
                [("item_brand", "ilike", search)],
                [("item_model", "ilike", search)],
                [("item_serial", "ilike", search)],
            ]
        )
        by_input = {
            "name": [("name", "ilike", search)],
            "title": [("title", "ilike", search)],
            "item": item,
        }
        if search_in in by_input:
            return by_input[search_in]
        return expression.OR(list(by_input.values()))

    def _service_job_upcoming_visits(self, limit=10):
        """The customer's next maintenance visits (active plans, by date; plans by meter
        reading without a forecast have none yet), as the record rules let them read them."""
        Plan = request.env["service.maintenance.plan"]
        if not Plan.has_access("read"):
            return Plan
        customer = request.env.user.partner_id.commercial_partner_id
        return Plan.search(
            [("commercial_partner_id", "=", customer.id), ("next_date", "!=", False)],
            order="next_date, id",
            limit=limit,
        )

    @http.route(
        ["/my/service_jobs", "/my/service_jobs/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_service_jobs(self, page=1, sortby=None, search=None, search_in="all", **kw):
        values = self._prepare_portal_layout_values()
        Job = request.env["service.job"]
        sortings = self._service_job_get_searchbar_sortings()
        if sortby not in sortings:
            sortby = "date"
        inputs = self._service_job_get_searchbar_inputs()
        if search_in not in inputs:
            search_in = "all"
        # a file or control characters (NUL...) search nothing: no results, not an error
        search = clean_text(search, 200)
        domain = (
            self._service_job_get_search_domain(search_in, search)
            if search is not None
            else [("id", "=", False)]
        )
        count = Job.search_count(domain) if Job.has_access("read") else 0
        pager = portal_pager(
            url="/my/service_jobs",
            url_args={"sortby": sortby, "search_in": search_in, "search": search or ""},
            total=count,
            page=page,
            step=self._items_per_page,
        )
        jobs = (
            Job.search(
                domain,
                order=sortings[sortby]["order"],
                limit=self._items_per_page,
                offset=pager["offset"],
            )
            if count
            else Job
        )
        request.session["my_service_jobs_history"] = jobs.ids[:100]
        values.update(
            {
                "upcoming_visits": self._service_job_upcoming_visits(),
                "jobs": jobs,
                "page_name": "service_job",
                "pager": pager,
                "default_url": "/my/service_jobs",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_inputs": inputs,
                "search_in": search_in,
                "search": search or "",
            }
        )
        return request.render("service_desk.portal_my_service_jobs", values)

    @http.route(
        ["/my/service_jobs/<int:job_id>"],
        type="http",
        auth="public",
        website=True,
        # reads only (page, job sheet): served by a read replica where there is one; a write
        # (e.g. assets generated on a first visit) makes Odoo retry on the primary
        readonly=True,
    )
    def portal_my_service_job(
        self, job_id, access_token=None, report_type=None, download=False, **kw
    ):
        if not is_db_id(job_id):
            return request.redirect("/my")
        if access_token is not None and not is_token(access_token):
            access_token = None  # not a token (file, non-ASCII...): as a wrong one
        if report_type not in ("html", "pdf", "text"):
            report_type = None
        try:
            # Sudo'ed record, returned only after the read access check or the token check.
            job_sudo = self._document_check_access("service.job", job_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if report_type:
            return self._show_report(
                model=job_sudo,
                report_type=report_type,
                report_ref="service_desk.action_report_service_job",
                download=download,
            )
        values = {"job": job_sudo, "page_name": "service_job"}
        values = self._get_page_view_values(
            job_sudo, access_token, values, "my_service_jobs_history", False, **kw
        )
        return request.render("service_desk.portal_my_service_job", values)
