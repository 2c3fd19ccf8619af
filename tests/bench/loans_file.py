"""Writes the month's loan file for the loan benchmark (issue 5) as NDJSON: every loan of the demo
bank re-reported as of the month end, plus new loans of the demo's customers (originated by their
primary RM) until the file holds ROWS rows. Rates: the demo's classifications are kept; new loans
are 99% normal; interest is left unpaid on every non-normal loan and on 1.5% of normal ones.

    python3 loans_file.py DATABASE_URL ROWS AS_OF OUT.ndjson
"""
import json
import random
import subprocess
import sys


def rows_of(url, sql):
    if url.startswith("postgres"):
        out = subprocess.run(["psql", "-At", "-F", "\t", url, "-c", sql], check=True,
                             capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]
    import sqlite3
    path = url.removeprefix("sqlite://")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [[str(v) for v in row] for row in db.execute(sql)]


def main():
    url, total, as_of, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rng = random.Random(20261130)
    loans = rows_of(url, "SELECT loan_no, customer_id, rm_id, balance_fen, originated_on, "
                         "classification FROM loans ORDER BY loan_no")
    primaries = rows_of(url, "SELECT customer_id, rm_id FROM assignments "
                             "WHERE role = 'primary' AND valid_to IS NULL")
    written = 0
    with open(out, "w") as f:
        def write(loan_no, customer, rm, balance_fen, originated, classification):
            nonlocal written
            due = balance_fen * 4 // 100 // 12
            unpaid = classification != "normal" or rng.random() < 0.015
            f.write(json.dumps({
                "loan_no": loan_no, "customer_id": customer, "rm_id": rm,
                "balance": f"{balance_fen // 100}.{balance_fen % 100:02d}",
                "originated_on": originated, "classification": classification,
                "interest_due": f"{due // 100}.{due % 100:02d}",
                "interest_paid": "0.00" if unpaid else f"{due // 100}.{due % 100:02d}",
                "as_of": as_of, "days_past_due": 45 if unpaid else 0,
            }, separators=(",", ":")) + "\n")
            written += 1

        for loan_no, customer, rm, balance, originated, classification in loans[:total]:
            write(loan_no, customer, rm, int(balance), originated, classification)
        n = 0
        while written < total:
            customer, rm = primaries[rng.randrange(len(primaries))]
            n += 1
            c = rng.random()
            classification = "normal" if c < 0.99 else "special_mention" if c < 0.997 else "substandard"
            write(f"M{n:09d}", customer, rm, rng.randrange(5_000_000, 500_000_000),
                  "2026-11-02", classification)
    print(f"{written} rows ({len(loans)} demo loans re-reported)", file=sys.stderr)


main()
