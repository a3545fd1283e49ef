{
    "name": "CRM Guardian",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "CRM health & follow-up: what needs attention today, and why",
    "description": """
CRM Guardian scans leads, quotations, invoices and contacts every night and lists
what needs attention today: stale leads, quotations and invoices to chase,
incomplete records, possible duplicates. Every finding explains itself and links
to the record; nothing in the CRM is ever changed by the guardian.
""",
    "author": "Guardian Apps",
    "website": "https://github.com/guardian-apps/odoo-addons",
    "license": "LGPL-3",
    "depends": ["crm", "sale"],
    "data": [
        "security/crm_guardian_security.xml",
        "views/crm_guardian_menus.xml",
    ],
    "application": True,
    "installable": True,
}
