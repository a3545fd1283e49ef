"""Fuzzy duplicate matching of CRM records: normalisation, blocking keys, pair scores,
groups. Plain Python over plain dicts (no ORM), shared by the scan's fuzzy duplicate
checks and ``bench/duplicates_bench.py``.

A record is a dict with ``id`` and any of ``name``, ``company`` (a lead's company name,
when it has a contact name too), ``street``, ``street2``, ``zip``, ``city``,
``country_id``, ``email``, ``phone``. :func:`prepare` normalises it once;
:func:`block_keys` gives its blocking keys; :func:`compare` scores a pair (similarity per
field compared, weighted mean over the fields both records have); :func:`group_pairs`
builds groups with the chaining guard. The method and its figures: README, "Fuzzy
duplicates".
"""

import functools
import hashlib
import re
import unicodedata

from rapidfuzz.distance import JaroWinkler, Levenshtein
from rapidfuzz.fuzz import token_sort_ratio

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
_SPLIT = re.compile(r"[^0-9a-z]+")
_NOT_DIGIT = re.compile(r"\D")


def fold(text):
    """Lower case, accents and punctuation removed: ``"Müller-Lüdenscheidt"`` gives
    ``"muller ludenscheidt"``."""
    if not text:
        return ""
    text = str(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ø", "o"))
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_SPLIT.split(text.lower())).strip()


# values that repeat (cities, zips, streets, given names) are folded once
_fold_cached = functools.lru_cache(maxsize=65536)(fold)


def name_tokens(text, company=False):
    """Tokens of a name, legal forms dropped for companies; ``&`` and filler dropped."""
    tokens = fold(text).split()
    if company:
        kept = [t for t in tokens if t not in LEGAL_FORMS]
        tokens = kept or tokens
    return tokens


@functools.lru_cache(maxsize=65536)
def _street_tokens(text):
    return tuple(STREET_WORDS.get(t, t) for t in fold(text).split())


def street_tokens(text):
    return list(_street_tokens(text or ""))


@functools.lru_cache(maxsize=65536)
def _street_parts(text):
    """``(street, number, street word)`` of a street line (see :func:`prepare`)."""
    street = _street_tokens(text)
    return " ".join(street), next((t for t in street if t.isdigit()), ""), _street_word(street)


def _street_word(tokens):
    """The street's own name: its longest word that is not a number nor a street type
    ("Baker" of "12 Baker Street"; the type when there is nothing else)."""
    words = [t for t in tokens if not t.isdigit()]
    named = [t for t in words if t not in STREET_TYPES]
    return max(named or words, key=len, default="")


def prepare(record, company=False):
    """The normalised form of ``record`` (see the module docstring)."""
    names = [tokens for tokens in [name_tokens(record.get("name"), company)] if tokens]
    street, number, word = _street_parts(record.get("street") or "")
    email = (record.get("email") or "").strip().lower()
    phone = _NOT_DIGIT.sub("", record.get("phone") or "")[-9:] if record.get("phone") else ""
    return {
        "id": record["id"],
        "names": names,
        "name": " ".join(sorted(t for tokens in names for t in tokens)),
        "company": name_tokens(record.get("company"), company=True),
        "street": street,
        "street_number": number,
        "street_word": word,
        "street2": " ".join(_street_tokens(record.get("street2") or "")),
        "zip": _fold_cached(record.get("zip") or "").replace(" ", ""),
        "city": _fold_cached(record.get("city") or ""),
        "country_id": record.get("country_id") or False,
        "email": email if "@" in email else "",
        "phone": phone if len(phone) >= 6 else "",
    }


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
    """The compared values of ``prepared`` (and its fingerprint) as one line of text,
    what the scan stores between normalising a record and scoring its pairs;
    :func:`loads` gives the prepared record back."""
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
            fingerprint(prepared),
        )
    )


def loads(record_id, text):
    """The prepared record ``record_id`` stored as ``text`` by :func:`dumps`."""
    names, company, street, number, word, street2, zip_, city, country, *rest = text.split(_SEP)
    email, phone, print_ = rest
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
        "fingerprint": print_,
    }


def block_keys(prepared):
    """The record's blocking keys: a pair is compared when it shares one. Several small
    keys, each surviving different errors: name prefixes with the zip (typos past the
    third letter, a wrong street), name prefixes with the city (a wrong zip), two name
    prefixes (a wrong zip or address), the street with its number (a misspelt or missing
    name), the email and the phone. Computed once per prepared record. (A key of the zip
    and the house number found 0.1-0.2 % of FEBRL's pairs no other key found, for one
    stored key in seven: dropped.)"""
    if "keys" in prepared:
        return prepared["keys"]
    keys = prepared["keys"] = set()
    tokens = sorted({t for tokens in prepared["names"] for t in tokens if len(t) > 1})
    zip_ = prepared["zip"]
    for token in tokens:
        if zip_:
            keys.add(f"n{token[:3]}|{zip_}")
        if prepared["city"]:
            keys.add(f"c{token[:4]}|{prepared['city'][:3]}")
    for i, first in enumerate(tokens):
        for second in tokens[i + 1 :]:
            keys.add(f"p{first[:4]}|{second[:4]}")
    if prepared["street_word"]:
        number = prepared["street_number"]
        keys.add(f"s{prepared['street_word'][:5]}|{number}|{zip_[:2]}")
    if prepared["email"]:
        keys.add(f"e{prepared['email']}")
    if prepared["phone"]:
        keys.add(f"t{prepared['phone']}")
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


def candidate_pairs(prepared_by_id, cap=BLOCK_CAP):
    """``{(id_a, id_b)}`` (``id_a < id_b``) of the records sharing a blocking key, blocks
    larger than ``cap`` skipped (in memory: the bench; the scan does it in SQL)."""
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


def group_pairs(pairs, max_size=20):
    """Groups (sorted id lists) of the matched ``pairs`` (``{(a, b): score}``), guarded
    against chaining: every group has a centre that matched each other member directly
    and at most ``max_size`` members; the weakest links of a component that has no such
    centre are cut until its parts have one. Returns ``(groups, kept_pairs)``."""
    edges = dict(pairs)
    by_component = {}
    components = _components(edges)
    component_of = {node: i for i, nodes in enumerate(components) for node in nodes}
    for pair, score in edges.items():
        by_component.setdefault(component_of[pair[0]], {})[pair] = score
    groups = []
    for i, component in enumerate(components):
        groups.extend(_split(component, by_component[i], max_size))
    group_of = {node: i for i, group in enumerate(groups) for node in group}
    kept = {
        (a, b): score
        for (a, b), score in edges.items()
        if a in group_of and group_of[a] == group_of.get(b)
    }
    return [sorted(group) for group in groups], kept


def _components(edges):
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
    for component in _components(local):
        parts.extend(
            _split(component, {p: s for p, s in local.items() if p[0] in component}, max_size)
        )
    return parts


def match(records, company=False, threshold=0.65, fields=FIELDS, max_size=20, exclude=None):
    """Everything in memory (the bench, small sets): ``(groups, pairs)`` of ``records``
    (raw dicts); ``pairs``: ``{(a, b): (score, sims)}`` of the kept groups."""
    prepared = {r["id"]: prepare(r, company) for r in records}
    matched = {}
    for a, b in candidate_pairs(prepared):
        if exclude and (a, b) in exclude:
            continue
        score, sims = compare(prepared[a], prepared[b], fields, threshold)
        if score >= threshold:
            matched[(a, b)] = (score, sims)
    groups, kept = group_pairs({pair: value[0] for pair, value in matched.items()}, max_size)
    return groups, {pair: matched[pair] for pair in kept}
