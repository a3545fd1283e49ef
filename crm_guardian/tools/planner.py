"""PostgreSQL planner settings for a few statements of a transaction."""

import contextlib

from odoo.tools import SQL


@contextlib.contextmanager
def planner_settings(cr, settings):
    """Run the block under the planner ``settings`` (``{name: value}``, as
    ``set_config`` takes them), then restore the ones in force before it.

    They are set for the transaction (``set_config(…, true)``), so an error inside the
    block leaves nothing behind once its transaction or savepoint rolls back; after the
    block, the values read before it are set again (a target list is evaluated in
    order: they are read before the new ones are set)."""
    cr.execute(
        SQL(
            "SELECT %s, %s",
            SQL(", ").join(SQL("current_setting(%s)", name) for name in settings),
            SQL(", ").join(
                SQL("set_config(%s, %s, true)", name, value) for name, value in settings.items()
            ),
        )
    )
    before = cr.fetchone()[: len(settings)]
    yield
    cr.execute(
        SQL(
            "SELECT %s",
            SQL(", ").join(
                SQL("set_config(%s, %s, true)", name, value)
                for name, value in zip(settings, before, strict=True)
            ),
        )
    )
