"""Bulk transport to and from PostgreSQL for the scan's caches.

Columns of numbers in ``COPY``'s binary format, as numpy arrays: no Python object per
row or value (the scan's blocks phase moves millions of ``(key hash, id)`` rows;
psycopg2 would make a tuple and two ints of each).

Only what the scan needs: columns of ``bigint`` / ``integer`` values and of fixed-width
text (all values the same number of bytes, e.g. a one-letter tag), never NULL. A row of
the binary format is its field count (int16), then per field its length (int32) and its
bytes, big-endian: a fixed-width row, one numpy structured dtype.

Lines produced while ``COPY`` reads them (:class:`LinesFile`), and ids for a query as
one text parameter (:func:`int_array`)."""

import io

import numpy as np

from odoo.tools import SQL

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
# the signature, the flags (int32 0: no OIDs) and the header extension's length (int32 0)
_HEADER = _SIGNATURE + b"\x00" * 8
_TRAILER = b"\xff\xff"


def _row_dtype(dtypes):
    """The structured dtype of a row whose fields have the numpy ``dtypes`` (``>i8``,
    ``>i4``, ``S<n>``): field count, then length and value of each field."""
    fields = [("count", ">i2")]
    for k, dtype in enumerate(map(np.dtype, dtypes)):
        fields += [(f"length{k}", ">i4"), (f"value{k}", dtype.newbyteorder(">"))]
    return np.dtype(fields)


def read_columns(cr, query, dtypes):
    """The result of ``query`` (an ``SQL`` whose columns have the numpy ``dtypes``, in
    order: ``int64`` for ``bigint``, ``int32`` for ``integer``; no NULL), as one array
    per column in native byte order."""
    row = _row_dtype(dtypes)
    buffer = io.BytesIO()
    cr.copy_expert(_copy_to(cr, query), buffer)
    raw = buffer.getbuffer()
    count = (len(raw) - len(_HEADER) - len(_TRAILER)) // row.itemsize
    rows = np.frombuffer(raw, row, count=count, offset=len(_HEADER))
    columns = [rows[f"value{k}"].astype(np.dtype(dtype)) for k, dtype in enumerate(dtypes)]
    del rows, raw
    buffer.close()
    return columns


def _copy_to(cr, query):
    """``COPY (query) TO STDOUT`` in binary, as the text of a statement (``copy_expert``
    takes no parameters: they are bound by ``mogrify``)."""
    statement = cr.mogrify(query.code, query.params).decode()
    return f"COPY ({statement}) TO STDOUT WITH (FORMAT binary)"


def write_columns(cr, table, columns):
    """Append rows to ``table``: ``columns`` is ``[(column name, array)]``, arrays of
    the same length (``int64``, ``int32``, or fixed-width bytes ``S<n>`` whose values
    all have ``n`` bytes). One ``COPY``; nothing when the arrays are empty."""
    names = [name for name, _values in columns]
    arrays = [np.asarray(values) for _name, values in columns]
    if not len(arrays[0]):
        return
    row = _row_dtype([array.dtype for array in arrays])
    rows = np.empty(len(arrays[0]), row)
    rows["count"] = len(arrays)
    for k, array in enumerate(arrays):
        rows[f"length{k}"] = array.dtype.itemsize
        rows[f"value{k}"] = array
    data = io.BytesIO(_HEADER + rows.tobytes() + _TRAILER)
    statement = SQL(
        "COPY %s (%s) FROM STDIN WITH (FORMAT binary)",
        SQL.identifier(table),
        SQL(", ").join(map(SQL.identifier, names)),
    )
    cr.copy_expert(statement.code, data)


def int_array(values):
    """``values`` (integers) as the text of a PostgreSQL array, to pass as one parameter
    cast ``::int[]``: psycopg2 adapts a list value by value (0.14 s for 116,000 ids, a
    pairs unit's lookup; 0.03 s joined here)."""
    return "{" + ",".join(map(str, values)) + "}"


class LinesFile:
    """A file of the lines an iterator gives (strings), for ``copy_expert`` in text
    format: each ``read`` takes lines until it has at least the size asked for, so the
    iterator's work is done while PostgreSQL stores what was sent before."""

    # characters sent at a time (some 2,000 lines of keys)
    SIZE = 65536

    def __init__(self, lines):
        self.lines = lines

    # a file's read, not a model's: no super() to call
    def read(self, size=SIZE):  # pylint: disable=method-required-super
        chunk, length = [], 0
        for line in self.lines:
            chunk.append(line)
            length += len(line)
            if length >= size:
                break
        return "".join(chunk)
