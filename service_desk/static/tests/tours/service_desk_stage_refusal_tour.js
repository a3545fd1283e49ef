import { registry } from "@web/core/registry";

// A refused stage move in the job form: a warning, and the status bar stays on the saved stage.
registry.category("web_tour.tours").add("service_desk_stage_refusal_tour", {
    steps: () => [
        {
            content: "The job is in Received",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Received')",
        },
        {
            content: "Try to jump to Ready for Pickup (not allowed from Received)",
            trigger: ".o_form_view .o_statusbar_status button:contains('Ready for Pickup')",
            run: "click",
        },
        {
            content: "A warning says why; close it",
            trigger: ".modal:contains('Stage not allowed'):contains('Allowed next stages') .modal-footer button",
            run: "click",
        },
        {
            content: "The status bar is back on Received, nothing left unsaved",
            trigger: ".o_form_view .o_form_saved .o_statusbar_status button.o_arrow_button_current:contains('Received')",
        },
        {
            content: "An allowed move still works",
            trigger: ".o_form_view .o_statusbar_status button:contains('Diagnosing')",
            run: "click",
        },
        {
            content: "The job is in Diagnosing, saved",
            trigger: ".o_form_view .o_form_saved .o_statusbar_status button.o_arrow_button_current:contains('Diagnosing')",
        },
    ],
});
