import { registry } from "@web/core/registry";

// On the story demo data, as a manager or as the salesperson of the hot opportunity "Need a
// price: urgent": dashboard -> rescue card -> the finding -> schedule an activity -> the
// finding shows it -> dismiss with a note -> restore. Every step waits for its element.
const LEAD = "Need a price: urgent";
const NOTE = "The buyer answers after the trade fair";

registry.category("web_tour.tours").add("crm_guardian_finding_flow", {
    steps: () => [
        {
            content: "The rescue card counts its open findings",
            trigger: ".o_kanban_record:contains(Rescue list):contains(/\\d+ open/)",
            // the first page of the run may wait for the web client's assets to be built
            timeout: 30000,
        },
        {
            content: "Open the rescue card",
            trigger: ".o_kanban_record:contains(Rescue list)",
            run: "click",
        },
        {
            content: "The riskiest finding comes first, with a high-risk badge",
            trigger: ".o_list_view .o_data_row:first td[name=risk_score] .badge.text-bg-danger",
        },
        {
            content: "Open the finding on the hot opportunity",
            trigger: `.o_list_view .o_data_row:contains(${LEAD}) td[name=name]`,
            run: "click",
        },
        {
            content: "The finding says why, in words: the rule's condition",
            trigger: ".o_form_view .o_field_widget[name=rule_condition]:contains(Priority is Very High)",
        },
        {
            content: "Schedule an activity on the opportunity",
            trigger: ".o_form_view .o_form_statusbar button[name=action_schedule_activity]",
            run: "click",
        },
        {
            content: "Odoo's dialog opens, prefilled by the guardian",
            trigger: ".modal .o_field_widget[name=summary] input:value(/^Guardian: Stale lead/)",
        },
        {
            content: "Schedule it",
            trigger: ".modal button[name=action_schedule_activities]",
            run: "click",
        },
        {
            content: "The finding shows the activity",
            trigger:
                ".o_form_view .o_field_widget[name=activity_id]:contains(Guardian: Stale lead)",
        },
        {
            content: "and a button to open it",
            trigger: ".o_form_view .o_form_statusbar button[name=action_view_activity]",
        },
        {
            content: "Dismiss the finding",
            trigger: ".o_form_view .o_form_statusbar button[name=action_dismiss]",
            run: "click",
        },
        {
            content: "Say why it can wait",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: `edit ${NOTE}`,
        },
        {
            content: "Confirm",
            trigger: ".modal button[name=action_dismiss]",
            run: "click",
        },
        {
            content: "The finding is dismissed, with the note",
            trigger: `.o_form_view .o_field_widget[name=dismiss_note]:contains(${NOTE})`,
        },
        {
            content: "and shown as dismissed",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Dismissed)",
        },
        {
            content: "Restore it",
            trigger: ".o_form_view .o_form_statusbar button[name=action_restore]",
            run: "click",
        },
        {
            content: "The finding is open again",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Open)",
        },
        {
            content: "and can be dismissed again",
            trigger: ".o_form_view .o_form_statusbar button[name=action_dismiss]",
        },
    ],
});
