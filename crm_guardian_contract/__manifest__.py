{
    "name": "CRM Guardian - Contracts",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Guardian checks for OCA recurring contracts: expiring, billing running out",
    "author": "Guardian Apps",
    "website": "https://github.com/guardian-apps/odoo-addons",
    "license": "AGPL-3",
    "development_status": "Beta",
    "maintainers": ["guardian-apps"],
    "depends": ["crm_guardian", "contract"],
    "data": [
        "data/mail_activity_type_data.xml",
        "data/crm_guardian_rule_data.xml",
    ],
    "auto_install": True,
    "installable": True,
}
