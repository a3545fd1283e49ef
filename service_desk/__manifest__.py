{
    "name": "Service Desk",
    "version": "18.0.1.0.0",
    "category": "Services/Service Desk",
    "summary": "Repair & work orders: intake, diagnosis, approval, job sheet, portal",
    "description": """
Service Desk runs repair shops and service teams: jobs with stages, technicians,
diagnosis, checklists, industry templates and custom fields per category; a kanban
board; the customer portal, public tracking and online approval; a printable job
sheet with a QR code; quotations and invoices linked to the job.
""",
    "author": "Guardian Apps",
    "website": "https://github.com/guardian-apps/odoo-addons",
    "license": "LGPL-3",
    "depends": ["mail", "portal", "utm", "contacts", "sale"],
    "data": [
        "security/service_desk_security.xml",
        "views/service_desk_menus.xml",
    ],
    "application": True,
    "installable": True,
}
