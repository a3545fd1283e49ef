import { registry } from "@web/core/registry";

// A salesperson with Guardian items: counter, top items, click opens the record
registry.category("web_tour.tours").add("crm_guardian_rescue_systray", {
    steps: () => [
        {
            content: "The systray shows the number of my open items",
            trigger: ".o_crm_guardian_rescue_menu .o_crm_guardian_rescue_counter:contains(2)",
        },
        {
            content: "Open my rescue list",
            trigger: ".o_crm_guardian_rescue_menu",
            run: "click",
        },
        {
            content: "The riskiest item comes first",
            trigger:
                ".o_crm_guardian_rescue_item:first:contains(CG Tour Very Stale Lead)",
        },
        {
            content: "Items assigned to others are not listed",
            trigger: ".o_crm_guardian_rescue_list:not(:contains(CG Tour Other Lead))",
        },
        {
            content: "Open the record of the item",
            trigger: ".o_crm_guardian_rescue_item:contains(CG Tour Stale Lead)",
            run: "click",
        },
        {
            content: "The lead form opens",
            trigger:
                ".o_form_view .o_field_widget[name=name] textarea:value(CG Tour Stale Lead), " +
                ".o_form_view .o_field_widget[name=name] input:value(CG Tour Stale Lead)",
        },
    ],
});

// A salesperson with nothing to do: the all-clear state
registry.category("web_tour.tours").add("crm_guardian_rescue_systray_all_clear", {
    steps: () => [
        {
            content: "No counter when nothing is open",
            trigger: ".o_crm_guardian_rescue_menu:not(:has(.o_crm_guardian_rescue_counter))",
        },
        {
            content: "Open my rescue list",
            trigger: ".o_crm_guardian_rescue_menu",
            run: "click",
        },
        {
            content: "All clear",
            trigger: ".o_crm_guardian_rescue_all_clear",
        },
        {
            content: "The full list is one click away",
            trigger: ".o_crm_guardian_rescue_all",
            run: "click",
        },
        {
            content: "My rescue list opens, empty",
            trigger: ".o_breadcrumb:contains(My Rescue List)",
        },
        {
            content: "with its all-clear message",
            trigger: ".o_view_nocontent:contains(All clear)",
        },
    ],
});

// A salesperson opens the dashboard: the cards count what they may read, a click lists it
registry.category("web_tour.tours").add("crm_guardian_dashboard", {
    steps: () => [
        {
            content: "The rescue card shows its open findings",
            trigger: ".o_kanban_record:contains(Rescue list):contains(/\\d open/)",
        },
        {
            content: "Open the rescue card",
            trigger: ".o_kanban_record:contains(Rescue list)",
            run: "click",
        },
        {
            content: "The card's findings are listed, mine among them",
            trigger: ".o_list_view .o_data_row:contains(CG Tour Stale Lead)",
        },
        {
            content: "Findings on leads of others are not",
            trigger: ".o_list_view:not(:contains(CG Tour Other Lead))",
        },
    ],
});
