"""The scan's cache tables (blocking keys, compared values, candidate pairs): written and
read in SQL only, rebuilt by the scan, so plain unlogged tables: no WAL, no ``id``.

Their models have ``_auto = False`` and create their table in ``init()`` with
:func:`create_cache_table`: they stay models for their registration, their access rights
(none granted: a web client's call is refused, not a server error) and the removal of
their table on uninstall (``ir.model._drop_table`` drops the table of any model that is
not abstract, ``_auto`` or not). The ORM must never read or write them (``search``,
``browse``, ``read``, ``create`` all use the ``id`` they do not have)."""

import logging

from odoo.tools import SQL, sql

_logger = logging.getLogger(__name__)


def create_cache_table(model):
    """Create the table of ``model`` (``_auto = False``) unless it exists: unlogged, a
    column per stored field but ``id`` (the field's column type, ``NOT NULL`` when it is
    required), fixed-width columns first as Odoo orders them (no alignment padding),
    no primary key. Idempotent: called by the model's ``init()`` on each install and
    update, and by Odoo when the table is missing (``Registry.check_tables_exist``).

    The table of a version before 18.0.1.5.0 (an ordinary model's: an ``id`` serial
    primary key, otherwise the same columns) loses its ``id`` here rather than in a
    migration script: ``DROP COLUMN`` only marks the column dropped in the catalog
    (its sequence and primary key go with it), so the rows are kept and stay valid.
    The caches are not emptied by an upgrade: a pass the upgrade interrupted goes on
    where it stopped (the scan restarts a pass only when its keys were lost, see
    crm.guardian.scan ``_fuzzy_full_unit``), and the next scan needs no full pass.
    Being in ``init()``, the conversion holds whatever version or path a database comes
    from (an update skipping 18.0.1.5.0, a dump restored)."""
    cr, table = model.env.cr, model._table
    columns = [
        SQL(
            "%s %s%s",
            SQL.identifier(field.name),
            SQL(field.column_type[1]),
            SQL(" NOT NULL") if field.required else SQL(),
        )
        for field in sorted(model._fields.values(), key=lambda field: field.column_order)
        if field.name != "id" and field.store and field.column_type
    ]
    cr.execute(
        SQL(
            "CREATE UNLOGGED TABLE IF NOT EXISTS %s (%s)",
            SQL.identifier(table),
            SQL(", ").join(columns),
        )
    )
    # checked first: ALTER TABLE locks the table even when it has nothing to do
    if sql.column_exists(cr, table, "id"):
        cr.execute(SQL("ALTER TABLE %s DROP COLUMN id", SQL.identifier(table)))
        _logger.info("Cache table %s: its id column dropped (rows kept)", table)
    ensure_unlogged(cr, table)


def ensure_unlogged(cr, table):
    """Make ``table`` unlogged (no WAL; a crash empties it, which the scan detects and
    answers with a full pass)."""
    cr.execute(SQL("SELECT relpersistence FROM pg_class WHERE oid = %s::regclass", table))
    if cr.fetchone()[0] != "u":
        cr.execute(SQL("ALTER TABLE %s SET UNLOGGED", SQL.identifier(table)))
