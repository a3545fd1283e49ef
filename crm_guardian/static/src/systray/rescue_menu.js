import { Component, onWillStart, useState } from "@odoo/owl";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { useDropdownState } from "@web/core/dropdown/dropdown_hooks";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * "My rescue list" in the systray: the user's open Guardian items (assigned to
 * them), counter and top 10 by risk; an all-clear state when nothing is open.
 */
export class RescueMenu extends Component {
    static components = { Dropdown };
    static props = [];
    static template = "crm_guardian.RescueMenu";

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.dropdown = useDropdownState();
        this.state = useState({ allowed: false, count: 0, items: [], actionId: false });
        onWillStart(() => this.load());
    }

    async load() {
        const data = await this.orm.call("crm.guardian.finding", "get_my_rescue_list", []);
        Object.assign(this.state, {
            allowed: data.allowed,
            count: data.count,
            items: data.items,
            actionId: data.action_id,
        });
    }

    onBeforeOpen() {
        return this.load();
    }

    openItem(item) {
        this.dropdown.close();
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: item.res_model,
            res_id: item.res_id,
            views: [[false, "form"]],
        });
    }

    openList() {
        this.dropdown.close();
        this.action.doAction("crm_guardian.crm_guardian_finding_action_mine", {
            clearBreadcrumbs: true,
        });
    }

    // the colours of the findings' risk badges: high (50+, the dashboard's "high
    // risk"), medium (25+), low
    riskClass(item) {
        if (item.risk >= 50) {
            return "text-bg-danger";
        }
        return item.risk >= 25 ? "text-bg-warning" : "text-bg-success";
    }
}

registry
    .category("systray")
    .add("crm_guardian.rescue_menu", { Component: RescueMenu }, { sequence: 25 });
