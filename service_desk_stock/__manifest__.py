{
    "name": "Service Desk - Stock",
    "version": "18.0.1.0.0",
    "category": "Services/Service Desk",
    "summary": "Parts of service jobs consumed from the warehouse, with lots and serial numbers",
    "author": "Guardian Apps",
    "website": "https://github.com/guardian-apps/odoo-addons",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["guardian-apps"],
    "depends": ["service_desk", "stock"],
    "data": [
        "security/ir.model.access.csv",
        "views/service_stage_views.xml",
        "views/service_job_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
