from odoo import http
from odoo.http import request

from odoo.addons.sale.controllers import portal as sale_portal


class ServiceDeskSalePortal(sale_portal.CustomerPortal):
    @http.route()
    def portal_quote_decline(self, order_id, access_token=None, decline_message=None, **kwargs):
        """Sale cancels a declined quotation as the superuser: mark the cancellation as the
        customer's, so the job's approval request is rejected (not merely cancelled)."""
        request.update_context(service_desk_declined_by_customer=True)
        return super().portal_quote_decline(
            order_id, access_token=access_token, decline_message=decline_message, **kwargs
        )
