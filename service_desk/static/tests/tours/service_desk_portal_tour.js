import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("service_desk_portal_tour", {
    steps: () => [
        {
            content: "Open the Service Jobs tile of /my",
            trigger: ".o_portal_index_card a[href='/my/service_jobs']",
            run: "click",
        },
        {
            content: "Open the job from the list",
            trigger: ".o_portal_my_doc_table tr:contains('Cracked screen') a",
            run: "click",
        },
        {
            content: "The job page shows its stage",
            trigger: ".o_portal_service_job .o_portal_service_job_stage",
        },
    ],
});
