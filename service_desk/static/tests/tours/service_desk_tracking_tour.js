import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("service_desk_tracking_tour", {
    steps: () => [
        {
            content: "The reference is prefilled from the link",
            trigger: "input[name='reference']:value(/./)",
        },
        {
            content: "Type the customer's email",
            trigger: "input[name='factor']",
            run: "edit desk@fixit.example",
        },
        {
            content: "Search",
            trigger: "button.o_service_tracking_submit",
            run: "click",
        },
        {
            content: "The job's status is shown in the shop's layout",
            trigger: "#wrapwrap:has(footer) .o_service_tracking_job .o_service_tracking_stage",
        },
    ],
});
