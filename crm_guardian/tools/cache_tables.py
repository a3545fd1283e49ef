"""The scan's cache tables (blocking keys, compared values, candidate pairs): written and
read in SQL, rebuilt by the scan, so without WAL."""

from odoo.tools import SQL


def ensure_unlogged(cr, table):
    """Make ``table`` unlogged (no WAL; a crash empties it, which the scan detects and
    answers with a full pass)."""
    cr.execute(SQL("SELECT relpersistence FROM pg_class WHERE oid = %s::regclass", table))
    if cr.fetchone()[0] != "u":
        cr.execute(SQL("ALTER TABLE %s SET UNLOGGED", SQL.identifier(table)))
