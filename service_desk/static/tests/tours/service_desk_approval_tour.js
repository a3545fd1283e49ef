import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("service_desk_approval_tour", {
    steps: () => [
        {
            content: "The request shows the amount",
            trigger: ".o_service_approval_amount",
        },
        {
            content: "Write a comment",
            trigger: "textarea[name='comment']",
            run: "edit Please go ahead",
        },
        {
            content: "Approve",
            trigger: "button.o_service_approve",
            run: "click",
        },
        {
            content: "The decision is recorded",
            trigger: ".o_service_approval_done",
        },
    ],
});
