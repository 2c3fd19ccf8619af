"""Prints the phase timings a job logged ("phase done" lines of the server's JSON log): where the
time of a bulk import or an evaluation went, as cumulative milliseconds per phase."""
import json
import sys

log, job = sys.argv[1], sys.argv[2]
laps = []
for line in open(log, encoding="utf-8"):
    if '"phase done"' not in line:
        continue
    event = json.loads(line)
    fields = event.get("fields", event)
    if fields.get("job") == job:
        laps.append(f'{fields["phase"]} {fields["ms"]} ms')
print(f"{job}: " + ", ".join(laps))
