"""Fuzzy duplicate matching of CRM records: normalisation, blocking keys, pair scores,
groups. Plain Python over plain dicts (no ORM), shared by the scan's fuzzy duplicate
checks and ``bench/duplicates_bench.py``.

A record is a dict with ``id`` and any of ``name``, ``company`` (a lead's company name,
when it has a contact name too), ``street``, ``street2``, ``zip``, ``city``,
``country_id``, ``email``, ``phone``. :func:`prepare` normalises it once
(:func:`normalise` on plain values, what the scan's keys phase calls with
:func:`stored_keys` and :func:`stored_line`); :func:`block_keys` gives its blocking
keys; :func:`compare` scores a pair (similarity per field compared, weighted mean over
the fields both records have), :func:`score_pairs` and :func:`score_stored` many pairs
at once (its result; faster when records have many pairs each); :func:`group_pairs`
builds groups with the chaining guard. The method and its figures: README, "Fuzzy
duplicates".
"""

import functools
import hashlib
import itertools
import re
import unicodedata

import numpy as np
from rapidfuzz.distance import JaroWinkler, Levenshtein
from rapidfuzz.fuzz import token_sort_ratio
from rapidfuzz.process import cpdist

# Legal forms and filler words dropped from company names (compared without them)
LEGAL_FORMS = frozenset(
    """ltd limited pty proprietary inc incorporated corp corporation co company llc llp lp
    plc gmbh mbh ag kg ohg ug sa sas sarl sasu eurl sca nv bv bvba srl spa sl slu oy ab as
    aps kft sro spolka zoo the and et und y""".split()
)
# Street abbreviations (English, French, German, Spanish) written out
STREET_WORDS = {
    "st": "street",
    "str": "strasse",
    "rd": "road",
    "av": "avenue",
    "ave": "avenue",
    "pl": "place",
    "cres": "crescent",
    "cct": "circuit",
    "cir": "circuit",
    "dr": "drive",
    "ct": "court",
    "crt": "court",
    "tce": "terrace",
    "pde": "parade",
    "hwy": "highway",
    "ln": "lane",
    "sq": "square",
    "blvd": "boulevard",
    "bd": "boulevard",
    "cl": "close",
    "gr": "grove",
    "mt": "mount",
    "pk": "park",
    "bvd": "boulevard",
    "chem": "chemin",
    "rte": "route",
    "c": "calle",
}
STREET_TYPES = frozenset(STREET_WORDS.values()) | {"way", "row", "walk", "rue", "via", "weg"}
# Field weights of the score (a weighted mean of the similarities of the fields both
# records have; fitted on FEBRL 1 and generated data, see the bench) and the order fields
# are explained in
WEIGHTS = {
    "name": 3.0,
    "company": 1.0,
    "street": 2.0,
    "street2": 0.5,
    "zip": 1.5,
    "city": 1.0,
    "email": 3.0,
    "phone": 2.0,
}
FIELDS = tuple(WEIGHTS)
# A pair needs this name similarity whatever the rest (namesakes are told apart by the
# address; different names at one address are colleagues, not duplicates)
MIN_NAME_SIM = 0.75
# Blocks (records sharing a key) larger than this are skipped: a key that common says
# nothing (the chaining guard's first line)
BLOCK_CAP = 60
_TOKEN = re.compile(r"[0-9a-z]+")
_NOT_DIGIT = re.compile(r"\D")


def fold(text):
    """Lower case, accents and punctuation removed: ``"Müller-Lüdenscheidt"`` gives
    ``"muller ludenscheidt"``."""
    return " ".join(_folded_tokens(text))


def _folded_tokens(text):
    """``fold(text).split()``: the runs of letters and digits of the lower-cased text,
    accents removed (one regular expression call)."""
    if not text:
        return []
    text = str(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ø", "o"))
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _TOKEN.findall(text.lower())


# values that repeat (cities, zips, streets, given names) are folded once
_fold_cached = functools.lru_cache(maxsize=65536)(fold)


def name_tokens(text, company=False):
    """Tokens of a name, legal forms dropped for companies; ``&`` and filler dropped."""
    tokens = _folded_tokens(text)
    if company:
        kept = [t for t in tokens if t not in LEGAL_FORMS]
        tokens = kept or tokens
    return tokens


@functools.lru_cache(maxsize=65536)
def _street_tokens(text):
    return tuple(STREET_WORDS.get(t, t) for t in _folded_tokens(text))


def _street_parts(text):
    """``(street, number, street word)`` of a street line (see :func:`prepare`): its
    tokens with the street types written out, its first number, and the street's own
    name: its longest word that is not a number nor a street type ("Baker" of "12 Baker
    Street"; the type when there is nothing else). Not cached: a street line rarely
    repeats, and a cache's misses (most calls) cost more than the function."""
    street = [STREET_WORDS.get(t, t) for t in _folded_tokens(text)]
    number, words, named = "", [], []
    for token in street:
        if token.isdigit():
            number = number or token
        else:
            words.append(token)
            if token not in STREET_TYPES:
                named.append(token)
    return " ".join(street), number, max(named or words, key=len, default="")


def prepare(record, company=False):
    """The normalised form of ``record`` (see the module docstring): the dict
    :func:`loads` gives of the values :func:`normalise` gives."""
    get = record.get
    values = normalise(
        get("name"),
        get("company"),
        get("street"),
        get("street2"),
        get("zip"),
        get("city"),
        get("country_id"),
        get("email"),
        get("phone"),
        company,
    )
    return _prepared(record["id"], values)


def normalise(name, company_name, street, street2, zip_, city, country_id, email, phone, company):
    """The compared values of a record normalised, as the 11 texts :func:`dumps` stores
    (a tuple, the country id as text): the one normaliser, for :func:`prepare` and for
    the scan's keys (:func:`stored_keys`, :func:`stored_line`: no dict per record).
    ``company``: the name is a company's (legal forms dropped)."""
    street, number, word = _street_parts(street) if street else ("", "", "")
    email = (email or "").strip().lower()
    phone = _NOT_DIGIT.sub("", phone)[-9:] if phone else ""
    return (
        " ".join(name_tokens(name, company)),
        " ".join(name_tokens(company_name, company=True)),
        street,
        number,
        word,
        " ".join(_street_tokens(street2)) if street2 else "",
        _fold_cached(zip_).replace(" ", "") if zip_ else "",
        _fold_cached(city) if city else "",
        str(country_id or ""),
        email.replace(_SEP, "") if "@" in email else "",
        phone if len(phone) >= 6 else "",
    )


def fingerprint(prepared):
    """A fingerprint of the compared values: a "not duplicates" mark holds while both
    records keep theirs (computed once per prepared record)."""
    if "fingerprint" in prepared:
        return prepared["fingerprint"]
    text = "\x1f".join(
        str(prepared[key])
        for key in ("name", "company", "street", "street2", "zip", "city", "country_id")
    )
    text += "\x1f" + prepared["email"] + "\x1f" + prepared["phone"]
    prepared["fingerprint"] = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    return prepared["fingerprint"]


# The separator of the fields of a stored prepared record (see dumps)
_SEP = "\x1f"


def dumps(prepared):
    """The compared values of ``prepared`` as one line of text (11 fields), what the
    scan stores between normalising a record and scoring its pairs; :func:`loads` gives
    the prepared record back. Without its fingerprint: hashing every record of a pass
    cost a fifth of normalising it, and only the pairs that match or were marked as not
    duplicates need theirs (:func:`stored_fingerprint`)."""
    return _SEP.join(
        (
            " ".join(prepared["names"][0]) if prepared["names"] else "",
            " ".join(prepared["company"]),
            prepared["street"],
            prepared["street_number"],
            prepared["street_word"],
            prepared["street2"],
            prepared["zip"],
            prepared["city"],
            str(prepared["country_id"] or ""),
            prepared["email"].replace(_SEP, ""),
            prepared["phone"],
        )
    )


def stored_line(values):
    """The stored line of a record whose values :func:`normalise` gave as ``values``:
    :func:`dumps` of its prepared record."""
    return _SEP.join(values)


def loads(record_id, text):
    """The prepared record ``record_id`` stored as ``text`` by :func:`dumps`."""
    return _prepared(record_id, text.split(_SEP))


def _prepared(record_id, values):
    """The prepared record ``record_id`` of its 11 stored texts (:func:`normalise`)."""
    names, company, street, number, word, street2, zip_, city, country, email, phone = values
    tokens = names.split()
    return {
        "id": record_id,
        "names": [tokens] if tokens else [],
        "name": " ".join(sorted(tokens)),
        "company": company.split(),
        "street": street,
        "street_number": number,
        "street_word": word,
        "street2": street2,
        "zip": zip_,
        "city": city,
        "country_id": int(country) if country else False,
        "email": email,
        "phone": phone,
    }


def stored_fingerprint(text):
    """The fingerprint of the prepared record stored as ``text`` by :func:`dumps`: the
    one :func:`fingerprint` gives of the record itself."""
    return fingerprint(loads(0, text))


def block_keys(prepared):
    """The record's blocking keys: a pair is compared when it shares one. Several small
    keys, each surviving different errors: name prefixes with the zip (typos past the
    third letter, a wrong street), name prefixes with the city (a wrong zip), two name
    prefixes (a wrong zip or address), the street with its number (a misspelt or missing
    name), the email and the phone. Computed once per prepared record. (A key of the zip
    and the house number found 0.1-0.2 % of FEBRL's pairs no other key found, for one
    stored key in seven: dropped.) The city keys of a name's shorter tokens hold the
    initial of its longest: a given name is short and common, its blocks by city alone
    were namesakes (70 % of the candidate pairs of a million generated leads, a third
    with the initial, of 60 % fewer; 0.2-0.5 point of FEBRL's recall, see the README)."""
    if "keys" not in prepared:
        names = prepared["names"]
        prepared["keys"] = _keys(
            names[0] if names else [],
            prepared["zip"],
            prepared["city"],
            prepared["street_word"],
            prepared["street_number"],
            prepared["email"],
            prepared["phone"],
        )
    return prepared["keys"]


def stored_keys(values, prefix=""):
    """:func:`block_keys` of the record whose values :func:`normalise` gave as
    ``values``, each prefixed with ``prefix``."""
    names, _company, _street, number, word, _street2, zip_, city, _country, email, phone = values
    return _keys(names.split(), zip_, city, word, number, email, phone, prefix)


def _keys(names, zip_, city, word, number, email, phone, prefix=""):
    """The blocking keys (see :func:`block_keys`), each prefixed with ``prefix``, of a
    name's tokens and of the other normalised values they are made of."""
    tokens = sorted({token for token in names if len(token) > 1})
    keys = set()
    if zip_:
        keys.update([f"{prefix}n{token[:3]}|{zip_}" for token in tokens])
    if city and tokens:
        # the longest token (the first of the longest, in sorted order) with the city;
        # each other one with the city and the longest's initial
        longest, city = max(tokens, key=len), city[:3]
        keys.update(
            [
                f"{prefix}c{token[:4]}|{city}|{longest[0]}"
                if token != longest
                else f"{prefix}c{token[:4]}|{city}"
                for token in tokens
            ]
        )
    for i, first in enumerate(tokens):
        for second in tokens[i + 1 :]:
            keys.add(f"{prefix}p{first[:4]}|{second[:4]}")
    if word:
        keys.add(f"{prefix}s{word[:5]}|{number}|{zip_[:2]}")
    if email:
        keys.add(f"{prefix}e{email}")
    if phone:
        keys.add(f"{prefix}t{phone}")
    return keys


def _name_sim(a, b):
    """Names: the best of the sorted-token Jaro-Winkler (swapped given name and surname),
    the token-sort ratio, and a Monge-Elkan mean over the shorter name's tokens (a missing
    given name, an initial)."""
    best = 0.0
    for tokens_a in a["names"]:
        for tokens_b in b["names"]:
            best = max(best, _tokens_sim(tokens_a, tokens_b))
    return best


def _tokens_sim(tokens_a, tokens_b):
    """Tokens matched one to one, best first (any order: swapped names), their
    Jaro-Winkler mean over the longer name (a missing part counts 0.5); or the
    token-sort ratio of the joined names when better (a name split or glued)."""
    short, long_ = sorted((tokens_a, tokens_b), key=len)
    if len(short) == 2 and len(long_) == 2:
        aligned = _two_tokens_sim(short, long_)
        if aligned >= 1.0:
            return aligned
        joined = token_sort_ratio(" ".join(tokens_a), " ".join(tokens_b)) / 100
        return max(aligned, joined)
    sims = sorted(
        ((_token_sim(x, y), i, j) for i, x in enumerate(short) for j, y in enumerate(long_)),
        reverse=True,
    )
    used_i, used_j, total = set(), set(), 0.0
    for sim, i, j in sims:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            total += sim
    aligned = (total + 0.5 * (len(long_) - len(short))) / len(long_) if long_ else 0.0
    joined = token_sort_ratio(" ".join(tokens_a), " ".join(tokens_b)) / 100
    return max(aligned, joined)


def _two_tokens_sim(short, long_):
    """:func:`_tokens_sim`'s alignment of two names of two tokens each (most names),
    without its sorts and sets: the best pair first (ties as the sort breaks them),
    then the other two tokens."""
    sims = (
        (_token_sim(short[0], long_[0]), 0),
        (_token_sim(short[0], long_[1]), 1),
        (_token_sim(short[1], long_[0]), 2),
        (_token_sim(short[1], long_[1]), 3),
    )
    best, index = max(sims)
    return (best + sims[3 - index][0]) / 2


def _token_sim(a, b):
    if len(a) == 1 or len(b) == 1:
        return 0.9 if a[0] == b[0] else 0.0  # an initial
    return JaroWinkler.normalized_similarity(a, b)


def _zip_sim(a, b):
    if a == b:
        return 1.0
    if len(a) == len(b) and Levenshtein.distance(a, b, weights=(1, 1, 1)) == 1:
        return 0.6
    if sorted(a) == sorted(b):
        return 0.6  # transposed digits
    return 0.0


def _street_sim(a, b):
    """Street and number; a street and its second line swapped or merged compare as one
    address. Rescaled as the city (:func:`_rescaled`): two unrelated streets share their
    type and look half alike ("12 Baker Street", "40 Queen Street"), they count 0 (else
    namesakes of one zip pass on half a street). Another number in the same street counts
    less (a neighbour, or a typo)."""
    word = JaroWinkler.normalized_similarity(a["street_word"], b["street_word"])
    sim = max(token_sort_ratio(a["street"], b["street"]) / 100, word)
    both = token_sort_ratio(f"{a['street']} {a['street2']}", f"{b['street']} {b['street2']}")
    sim = _rescaled(max(sim, both / 100))
    if a["street_number"] != b["street_number"]:
        sim *= 0.8 if a["street_number"] and b["street_number"] else 0.9
    return sim


def _rescaled(sim):
    """Jaro-Winkler of unrelated words is about 0.5: rescaled so that it counts 0."""
    return max(0.0, (sim - 0.5) / 0.5)


def compare(a, b, fields=FIELDS, threshold=0.0):
    """``(score, sims)``: the similarity (0..1) of each field of ``fields`` both have,
    and their weighted mean. A country mismatch makes the score 0. A score known to be
    below ``threshold`` early may be returned without the other fields."""
    if a["country_id"] and b["country_id"] and a["country_id"] != b["country_id"]:
        return 0.0, {}
    if not (a["names"] and b["names"]):
        return 0.0, {}
    sims = {"name": _name_sim(a, b)}
    same_contact = any(a[key] and a[key] == b[key] for key in ("email", "phone") if key in fields)
    if sims["name"] < min(threshold, MIN_NAME_SIM) and not same_contact:
        # the score cannot pass the name similarity (below): not worth the rest
        return sims["name"], sims
    if "company" in fields and a["company"] and b["company"]:
        sims["company"] = _tokens_sim(a["company"], b["company"])
    if "street" in fields and a["street_word"] and b["street_word"]:
        sims["street"] = _street_sim(a, b)
    if "street2" in fields and a["street2"] and b["street2"]:
        sims["street2"] = _rescaled(JaroWinkler.normalized_similarity(a["street2"], b["street2"]))
    if "zip" in fields and a["zip"] and b["zip"]:
        sims["zip"] = _zip_sim(a["zip"], b["zip"])
    if "city" in fields and a["city"] and b["city"]:
        sims["city"] = _rescaled(JaroWinkler.normalized_similarity(a["city"], b["city"]))
    for key in ("email", "phone"):
        if key in fields and a[key] and b[key]:
            sims[key] = 1.0 if a[key] == b[key] else 0.0
    if len(sims) < 2:
        return 0.0, sims
    total = sum(WEIGHTS[key] for key in sims)
    score = sum(WEIGHTS[key] * sim for key, sim in sims.items()) / total
    if sims["name"] < MIN_NAME_SIM and not same_contact:
        score = min(score, sims["name"])
    return score, sims


# Bulk similarities (rapidfuzz's cpdist) may differ from single calls by a few ulps
# (another Jaro-Winkler code path): score_pairs' bounds keep this margin
_BOUND_MARGIN = 1e-9


def score_pairs(pairs, prepared, fields=FIELDS, threshold=0.0):
    """``[(id_a, id_b, score, sims)]``: the pairs of ``pairs`` (``(id_a, id_b)``, or an
    array of two columns, see :func:`pair_array`; both ids in ``prepared``: ``{id:
    prepared record}``) that score at least ``threshold``, in the order of ``pairs``,
    each with the ``(score, sims)`` of :func:`compare` (``fields``, ``threshold``). The
    same result as :func:`compare` pair by pair, faster: all pairs get a bound of their
    score in bulk (C, one thread), only those it does not rule out are scored by
    :func:`compare`. A threshold of 0 rules out none. Reading the records
    costs about a third of scoring a pair: it pays where records have several pairs each
    (records stored as text: :func:`score_stored`, which pays with one or two)."""

    def columns(ids):
        return _Columns.of_records(list(map(prepared.__getitem__, ids)), fields)

    return _matched(pairs, prepared.__getitem__, columns, fields, threshold)


def score_stored(pairs, stored, fields=FIELDS, threshold=0.0):
    """:func:`score_pairs` of records given as their text (``stored``: ``{id: text of
    dumps}``): the same as :func:`score_pairs` of the records :func:`loads` gives, but
    :func:`loads` is called only for the pairs :func:`compare` scores (loading every
    record of a pass costs some 40 % of scoring its pairs)."""
    loaded = {}

    def record(record_id):
        if record_id not in loaded:
            loaded[record_id] = loads(record_id, stored[record_id])
        return loaded[record_id]

    def columns(ids):
        return _Columns.of_texts(list(map(stored.__getitem__, ids)), fields)

    return _matched(pairs, record, columns, fields, threshold)


def _matched(pairs, record, columns, fields, threshold):
    """:func:`score_pairs` of the records ``record(id)`` gives, ``columns(ids)`` their
    :class:`_Columns`; ``pairs`` may also be an array of two columns."""
    pairs = pair_array(pairs)
    if not len(pairs):
        return []
    # each record once (its row in the columns), and the rows of each pair
    ids, rows = np.unique(pairs.ravel(), return_inverse=True)
    rows_a, rows_b = rows[0::2], rows[1::2]
    bounds = _score_bounds(columns(ids.tolist()), rows_a, rows_b, threshold)
    matched = []
    for k in np.flatnonzero(bounds >= threshold - _BOUND_MARGIN).tolist():
        a, b = pairs[k].tolist()
        score, sims = compare(record(a), record(b), fields, threshold)
        if score >= threshold:
            matched.append((a, b, score, sims))
    return matched


def pair_array(pairs):
    """``pairs`` (an iterable of ``(id_a, id_b)``, or such an array) as an array of two
    columns (``int64``), in their order."""
    if isinstance(pairs, np.ndarray):
        return pairs.astype(np.int64, copy=False).reshape(-1, 2)
    pairs = list(pairs)
    flat = np.fromiter(itertools.chain.from_iterable(pairs), np.int64, 2 * len(pairs))
    return flat.reshape(-1, 2)


class _Tokens:
    """Token lists as columns, one row a list, from ``joined``: the tokens of each list
    joined by single spaces, in any order (:meth:`sims` and :func:`_tokens_sim` do not
    depend on it but for ties, which :meth:`sims` bounds): ``count`` (-1: a list
    :func:`_tokens_sim` scores, not :meth:`sims`: with an initial, or more than two
    tokens; it is given ``tokens(row)``, the list in its order), ``first`` and
    ``second`` token (``""`` when missing)."""

    def __init__(self, joined, tokens):
        self.joined, self.tokens = joined, tokens
        text = joined.astype(str)
        first, _space, rest = np.strings.partition(text, " ")
        second = np.strings.partition(rest, " ")[0]
        count = np.where(np.strings.str_len(text) > 0, np.strings.count(text, " ") + 1, 0)
        initial = (np.strings.str_len(first) == 1) | (np.strings.str_len(second) == 1)
        self.count = np.where(initial | (count > 2), -1, count)
        self.first, self.second = first.astype(object), second.astype(object)

    def sims(self, rows_a, rows_b):
        """:func:`_tokens_sim` of the lists of each pair of rows, to within a few ulps,
        or above it: of two lists of two tokens whose best token pairs (nearly) tie, the
        better alignment. 0 where a list is empty."""
        count_a, count_b = self.count[rows_a], self.count[rows_b]
        first_a, second_a = self.first[rows_a], self.second[rows_a]
        first_b, second_b = self.first[rows_b], self.second[rows_b]
        s00 = _bulk(JaroWinkler.normalized_similarity, first_a, first_b)
        s01 = _bulk(JaroWinkler.normalized_similarity, first_a, second_b)
        s10 = _bulk(JaroWinkler.normalized_similarity, second_a, first_b)
        s11 = _bulk(JaroWinkler.normalized_similarity, second_a, second_b)
        best = np.maximum(np.maximum(s00, s01), np.maximum(s10, s11))
        # _two_tokens_sim: the best token pair, then the other two; on a tie either pair
        # (in either order of the tokens: the bound does not depend on it)
        near = best - _BOUND_MARGIN
        diagonal = np.where(np.maximum(s00, s11) >= near, (s00 + s11) / 2, 0.0)
        crossed = np.where(np.maximum(s01, s10) >= near, (s01 + s10) / 2, 0.0)
        aligned = np.select(
            [
                (count_a == 1) & (count_b == 1),
                (count_a == 1) & (count_b == 2),
                (count_a == 2) & (count_b == 1),
                (count_a == 2) & (count_b == 2),
            ],
            [s00, (np.maximum(s00, s01) + 0.5) / 2, (np.maximum(s00, s10) + 0.5) / 2]
            + [np.maximum(diagonal, crossed)],
            default=np.nan,
        )
        # token_sort_ratio sorts the tokens: the order they are joined in does not count
        joined = _bulk(token_sort_ratio, self.joined[rows_a], self.joined[rows_b]) / 100
        sims = np.maximum(aligned, joined)
        sims[(count_a == 0) | (count_b == 0)] = 0.0
        for k in np.flatnonzero(np.isnan(sims)).tolist():
            sims[k] = _tokens_sim(self.tokens(rows_a[k]), self.tokens(rows_b[k]))
        return sims


class _Columns:
    """The compared values of prepared records as columns (arrays, one row a record)
    for :func:`_score_bounds`, and ``fields``, the fields compared."""

    _KEYS = (
        "name",
        "country_id",
        "street_word",
        "street",
        "street2",
        "street_number",
        "zip",
        "city",
        "email",
        "phone",
    )

    def __init__(self, fields, values, names, company, company_tokens):
        """``values``: ``{key of _KEYS: values}`` (``name``: the names joined);
        ``company``: the company names joined, or a function giving them (called when
        compared); ``names(row)``, ``company_tokens(row)``: token lists in their order."""
        self.fields = fields
        for key, column in values.items():
            column = _objects(column)
            setattr(self, key, column)
            # which records have the value (pairs index this: no object read per pair)
            setattr(self, f"has_{key}", column.astype(bool))
        self.names = _Tokens(self.name, names)
        self.company_joined, self.company_tokens = company, company_tokens

    @functools.cached_property
    def has_company(self):
        return self.company_joined.astype(bool)

    @functools.cached_property
    def company(self):
        """The company names as :class:`_Tokens` (most records of a check have none)."""
        return _Tokens(self.company_joined, self.company_tokens)

    @classmethod
    def of_records(cls, records, fields):
        """The columns of prepared records, read in one pass (a column at a time, they
        would leave the CPU's caches)."""
        names, company = [], []
        values = {key: [] for key in cls._KEYS}
        appends = [(values[key].append, key) for key in cls._KEYS]
        for record in records:
            # a prepared record's names: none or one token list
            names.append(record["names"][0] if record["names"] else [])
            company.append(record["company"])
            for append, key in appends:
                append(record[key])
        joined = _objects(list(map(" ".join, company)))
        return cls(fields, values, names.__getitem__, joined, company.__getitem__)

    @classmethod
    def of_texts(cls, texts, fields):
        """The columns of records stored as ``texts`` (:func:`dumps`: 11 fields each; a
        country as text, compared as the id). Split as one text: no object per record
        but its values."""
        values = _SEP.join(texts).split(_SEP)
        (
            names,
            company,
            street,
            number,
            word,
            street2,
            zip_,
            city,
            country,
            email,
            phone,
        ) = (values[k::11] for k in range(11))
        columns = {
            "name": names,
            "country_id": country,
            "street_word": word,
            "street": street,
            "street2": street2,
            "street_number": number,
            "zip": zip_,
            "city": city,
            "email": email,
            "phone": phone,
        }
        return cls(
            fields,
            columns,
            lambda row: names[row].split(),
            _objects(company),
            lambda row: company[row].split(),
        )


def _objects(values):
    """``values`` (a sized iterable) as an array of objects (lists stay objects)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _lengths(values):
    return np.fromiter(map(len, values), dtype=np.intp, count=len(values))


def _bulk(scorer, values_a, values_b):
    """rapidfuzz's ``scorer`` of each pair of values, as floats, in this thread (Odoo's
    CPU limit counts all threads)."""
    return cpdist(values_a, values_b, scorer=scorer, dtype=np.float64, workers=1)


def _score_bounds(columns, rows_a, rows_b, threshold):
    """For each pair of rows of ``columns``, a bound of its :func:`compare` score:
    above it or within a few ulps (:data:`_BOUND_MARGIN` covers them); the score
    itself where the name rules the pair out."""
    bounds = np.zeros(len(rows_a))
    country_a, country_b = columns.country_id[rows_a], columns.country_id[rows_b]
    known = columns.has_country_id[rows_a] & columns.has_country_id[rows_b]
    other_country = known & (country_a != country_b)
    names = columns.names
    alive = (names.count[rows_a] != 0) & (names.count[rows_b] != 0) & ~other_country
    rows_a, rows_b = rows_a[alive], rows_b[alive]
    name = names.sims(rows_a, rows_b)
    same_contact = np.zeros(len(rows_a), dtype=bool)
    for key in ("email", "phone"):
        if key in columns.fields:
            values = getattr(columns, key)
            has = getattr(columns, f"has_{key}")[rows_a]
            same_contact |= has & (values[rows_a] == values[rows_b])
    # compare stops after a name this far below: the name is the score
    rest = same_contact | (name >= min(threshold, MIN_NAME_SIM) - _BOUND_MARGIN)
    scores = name.copy()
    scores[rest] = _rest_bounds(columns, rows_a[rest], rows_b[rest], name[rest], same_contact[rest])
    bounds[alive] = scores
    return bounds


def _rest_bounds(columns, rows_a, rows_b, name, same_contact):
    """:func:`_score_bounds` of the pairs that :func:`compare` scores past the name."""
    total = np.full(len(rows_a), WEIGHTS["name"])
    weighted = WEIGHTS["name"] * name
    count = np.ones(len(rows_a), dtype=np.intp)
    for key in columns.fields:
        if key == "name":
            continue
        present, sims = _field_sims(columns, key, rows_a, rows_b)
        total += np.where(present, WEIGHTS[key], 0.0)
        weighted += np.where(present, WEIGHTS[key] * sims, 0.0)
        count += present
    scores = np.where(count < 2, 0.0, weighted / total)
    capped = (name < MIN_NAME_SIM - _BOUND_MARGIN) & ~same_contact
    return np.where(capped, np.minimum(scores, name), scores)


def _field_sims(columns, key, rows_a, rows_b):
    """``(present, sims)``: which pairs :func:`compare` compares on ``key`` (both have
    it), and the similarity of those (0 elsewhere)."""
    has = getattr(columns, "has_street_word" if key == "street" else f"has_{key}")
    present = has[rows_a] & has[rows_b]
    sims = np.zeros(len(rows_a))
    if not present.any():
        return present, sims
    rows_a, rows_b = rows_a[present], rows_b[present]
    if key == "company":
        sims[present] = columns.company.sims(rows_a, rows_b)
    elif key == "street":
        sims[present] = _street_sims(columns, rows_a, rows_b)
    elif key == "zip":
        sims[present] = _zip_sims(columns, rows_a, rows_b)
    elif key in ("street2", "city"):
        values = getattr(columns, key)
        sims[present] = _rescaled_all(
            _bulk(JaroWinkler.normalized_similarity, values[rows_a], values[rows_b])
        )
    else:
        values = getattr(columns, key)
        sims[present] = values[rows_a] == values[rows_b]
    return present, sims


def _street_sims(columns, rows_a, rows_b):
    """:func:`_street_sim` of each pair of rows (both have a street word)."""
    word = _bulk(
        JaroWinkler.normalized_similarity,
        columns.street_word[rows_a],
        columns.street_word[rows_b],
    )
    street_a, street_b = columns.street[rows_a], columns.street[rows_b]
    street = _bulk(token_sort_ratio, street_a, street_b) / 100
    # with no second line, the street and its second line score as the street (sorted
    # tokens, the trailing space dropped)
    lines = np.flatnonzero(columns.has_street2[rows_a] | columns.has_street2[rows_b])
    both = street.copy()
    both[lines] = (
        _bulk(
            token_sort_ratio,
            street_a[lines] + " " + columns.street2[rows_a[lines]],
            street_b[lines] + " " + columns.street2[rows_b[lines]],
        )
        / 100
    )
    sims = _rescaled_all(np.maximum(np.maximum(street, word), both))
    number_a, number_b = columns.street_number[rows_a], columns.street_number[rows_b]
    both_numbered = columns.has_street_number[rows_a] & columns.has_street_number[rows_b]
    return np.where(number_a != number_b, sims * np.where(both_numbered, 0.8, 0.9), sims)


def _zip_sims(columns, rows_a, rows_b):
    """:func:`_zip_sim` of each pair of rows (both have a zip)."""
    zip_a, zip_b = columns.zip[rows_a], columns.zip[rows_b]
    sims = np.where(zip_a == zip_b, 1.0, 0.0)
    typo = (_bulk(Levenshtein.distance, zip_a, zip_b) == 1) & (_lengths(zip_a) == _lengths(zip_b))
    sims[typo] = 0.6
    # transposed digits: the same sums of code points and of their squares first (C)
    maybe = np.flatnonzero((sims == 0.0) & (_code_sums(zip_a) == _code_sums(zip_b)).all(axis=1))
    for k in maybe.tolist():
        if sorted(zip_a[k]) == sorted(zip_b[k]):
            sims[k] = 0.6
    return sims


def _code_sums(texts):
    """The sum of the code points of each text, and of their squares."""
    codes = texts.astype(str)
    codes = codes.view(np.uint32).reshape(len(codes), codes.itemsize // 4).astype(np.int64)
    return np.stack([codes.sum(axis=1), (codes * codes).sum(axis=1)], axis=1)


def _rescaled_all(sims):
    """:func:`_rescaled` of each similarity."""
    return np.maximum(0.0, (sims - 0.5) / 0.5)


def candidate_pairs(prepared_by_id, cap=BLOCK_CAP):
    """``{(id_a, id_b)}`` (``id_a < id_b``) of the records sharing a blocking key, blocks
    larger than ``cap`` skipped (in memory: the bench; the scan groups its stored keys
    with :func:`block_pairs`)."""
    blocks = {}
    for record in prepared_by_id.values():
        for key in block_keys(record):
            blocks.setdefault(key, []).append(record["id"])
    pairs = set()
    for ids in blocks.values():
        if 1 < len(ids) <= cap:
            ids = sorted(ids)
            for i, first in enumerate(ids):
                for second in ids[i + 1 :]:
                    pairs.add((first, second))
    return pairs


def block_pairs(keys, ids, cap=BLOCK_CAP):
    """``(lower ids, higher ids)``, two arrays: the distinct pairs of records that share
    a block of 2 to ``cap`` records, given as arrays of the blocks' ``keys`` (numbers,
    e.g. a hash of the key) and of the ``ids`` of their records (a row per record and
    key). Set-based (numpy): the rows sorted by key, then for each distance ``d`` within
    a block the pairs of rows ``d`` apart (most blocks have two or three records: few
    rounds touch many rows)."""
    order = np.argsort(keys)
    keys, ids = keys[order], ids[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    kept = (sizes >= 2) & (sizes <= cap)
    starts, sizes = starts[kept], sizes[kept]
    # each row of a kept block: its index, its block's size, its position in the block
    size = np.repeat(sizes, sizes)
    position = np.arange(len(size)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    row = np.repeat(starts, sizes) + position
    firsts, seconds = [np.empty(0, ids.dtype)], [np.empty(0, ids.dtype)]
    distance, live = 1, np.flatnonzero(position + 1 < size)
    while len(live):
        firsts.append(ids[row[live]])
        seconds.append(ids[row[live] + distance])
        distance += 1
        live = live[position[live] + distance < size[live]]
    pairs = distinct_pairs(np.concatenate(firsts), np.concatenate(seconds))
    return pairs[:, 0].astype(ids.dtype), pairs[:, 1].astype(ids.dtype)


def distinct_pairs(first, second):
    """The distinct pairs of the ids ``first[k]``, ``second[k]`` (arrays of ids below
    2**31), lower id first, sorted, as an array of two columns (``int64``); a record
    paired with itself (twice in a block: two of its keys with one hash) is no pair."""
    first, second = first[first != second], second[first != second]
    packed = np.unique(pack(np.stack([np.minimum(first, second), np.maximum(first, second)], 1)))
    return np.stack([packed >> 32, packed & 0xFFFFFFFF], axis=1)


def pack(pairs):
    """Each pair of ``pairs`` (an array of two columns of ids below 2**31) as one
    ``int64``: the first id in the high bits (the order of pairs, lower id first)."""
    return (pairs[:, 0].astype(np.int64) << 32) | pairs[:, 1]


def group_pairs(pairs, max_size=20):
    """Groups (sorted id lists) of the matched ``pairs`` (``{(a, b): score}``), guarded
    against chaining: every group has a centre that matched each other member directly
    and at most ``max_size`` members; the weakest links of a component that has no such
    centre are cut until its parts have one. Returns ``(groups, kept_pairs)``."""
    edges = dict(pairs)
    by_component = {}
    parts = components(edges)
    component_of = {node: i for i, nodes in enumerate(parts) for node in nodes}
    for pair, score in edges.items():
        by_component.setdefault(component_of[pair[0]], {})[pair] = score
    groups = []
    for i, component in enumerate(parts):
        groups.extend(_split(component, by_component[i], max_size))
    group_of = {node: i for i, group in enumerate(groups) for node in group}
    kept = {
        (a, b): score
        for (a, b), score in edges.items()
        if a in group_of and group_of[a] == group_of.get(b)
    }
    return [sorted(group) for group in groups], kept


def components(edges):
    """The connected components (sets of ids, two or more) of the graph of ``edges``
    (``(a, b)`` pairs)."""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    components = {}
    for node in list(parent):
        components.setdefault(find(node), set()).add(node)
    return [c for c in components.values() if len(c) > 1]


def _has_centre(nodes, edges):
    neighbours = {n: set() for n in nodes}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    return any(len(neighbours[n]) == len(nodes) - 1 for n in nodes)


def _split(nodes, edges, max_size):
    """``nodes`` split as :func:`group_pairs` says; ``edges``: theirs only."""
    local = {pair: score for pair, score in edges.items() if pair[0] in nodes}
    if len(nodes) <= max_size and _has_centre(nodes, local):
        return [nodes]
    # cut the weakest link, then look at the parts again
    weakest = min(local, key=lambda pair: (local[pair], pair))
    del local[weakest]
    parts = []
    for component in components(local):
        parts.extend(
            _split(component, {p: s for p, s in local.items() if p[0] in component}, max_size)
        )
    return parts


def match(records, company=False, threshold=0.65, fields=FIELDS, max_size=20, exclude=None):
    """Everything in memory (the bench, small sets): ``(groups, pairs)`` of ``records``
    (raw dicts); ``pairs``: ``{(a, b): (score, sims)}`` of the kept groups."""
    prepared = {r["id"]: prepare(r, company) for r in records}
    pairs = [pair for pair in candidate_pairs(prepared) if not (exclude and pair in exclude)]
    matched = {
        (a, b): (score, sims)
        for a, b, score, sims in score_pairs(pairs, prepared, fields, threshold)
    }
    groups, kept = group_pairs({pair: value[0] for pair, value in matched.items()}, max_size)
    return groups, {pair: matched[pair] for pair in kept}
