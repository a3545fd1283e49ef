{
    "name": "CRM Guardian - Helpdesk",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Guardian checks (idle, unassigned, SLA at risk) and setup alerts for OCA Helpdesk",
    "author": "Guardian Apps",
    "website": "https://github.com/guardian-apps/odoo-addons",
    "license": "AGPL-3",
    "development_status": "Beta",
    "maintainers": ["guardian-apps"],
    "depends": ["crm_guardian", "helpdesk_mgmt"],
    "data": [
        "data/crm_guardian_rule_data.xml",
        "data/crm_guardian_section_data.xml",
        "views/res_config_settings_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}
