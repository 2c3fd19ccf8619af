"""One line describing a POST /evaluations response (loan benchmark, issue 5)."""
import json
import sys

rms = json.load(open(sys.argv[1]))["rms"]
print(f"{len(rms)} RMs, {sum(r['indicator']['loan_customers'] for r in rms)} loan customers, "
      f"{sum(1 for r in rms if r['indicator']['inspections_required'])} RMs over 3%, "
      f"{sum(r['inspections_required'] for r in rms)} inspections, "
      f"{sum(r['overdue_interest_flags'] for r in rms)} new flags, "
      f"{sum(len(r['rm_flags']) for r in rms)} RM flags")
