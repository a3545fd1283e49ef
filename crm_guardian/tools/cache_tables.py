"""The scan's cache tables (blocking keys, compared values, candidate pairs): written and
read in SQL only, rebuilt by the scan, so plain unlogged tables: no WAL, no ``id``. The
keys and the compared values are kept in a child table per check
(:func:`create_cache_child`), emptied with ``TRUNCATE``.

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


def create_cache_child(model, value, create=True):
    """The name of the child table of ``model``'s cache table that holds the rows whose
    ``check`` is ``value`` (a short code), created unless it exists (without ``create``:
    the name only, no statement). Unlogged, the parent's columns (table inheritance) and
    a ``CHECK`` of that value, so that a query of the parent that says ``"check" =
    <value>`` reads this child only (PostgreSQL's constraint exclusion; the parent itself
    holds no row). Rows are written into the child itself; it is emptied with
    ``TRUNCATE``, which leaves no dead rows (a ``DELETE`` of a check's rows left the
    table ever larger: ``COPY`` appends rather than fill freed pages). Inheritance, not
    declarative partitioning: Odoo takes a partitioned table for a missing one
    (``sql.existing_tables``); it drops the children with the parent on uninstall
    (``DROP TABLE ... CASCADE``)."""
    cr, table = model.env.cr, model._table
    name = f"{table}_{value.lower()}"
    if not create:
        return name
    cr.execute(
        SQL(
            'CREATE UNLOGGED TABLE IF NOT EXISTS %s (CHECK ("check" = %s)) INHERITS (%s)',
            SQL.identifier(name),
            # a constraint is DDL: a literal, not a parameter
            SQL(cr.mogrify("%s", [value]).decode()),
            SQL.identifier(table),
        )
    )
    return name


def forget_own_rows(cr, table):
    """Delete the rows ``table`` holds itself (not its children's: the rows of a version
    before 18.0.1.7.0, when a cache had no child per check) and drop its own indexes
    (each child has its own). Returns whether it held any row."""
    cr.execute(SQL("SELECT EXISTS (SELECT 1 FROM ONLY %s)", SQL.identifier(table)))
    held = cr.fetchone()[0]
    if held:
        cr.execute(SQL("TRUNCATE ONLY %s", SQL.identifier(table)))
    cr.execute(
        SQL(
            """SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = %s::regclass""",
            table,
        )
    )
    for (index,) in cr.fetchall():
        cr.execute(SQL("DROP INDEX %s", SQL.identifier(index)))
    return held
