#!/usr/bin/env python3
"""sum-results.py DIR VARIANT... : the sum of scripts/judge.py's judgements
DIR/VARIANT.json as "N passed, N failed, N skipped"; a variant without
one (its run broke before it was judged) counts as one failure. Exits
non-zero if anything failed."""
import json
import sys
from pathlib import Path

total = {"passed": 0, "failed": 0, "skipped": 0}
for v in sys.argv[2:]:
    p = Path(sys.argv[1]) / f"{v}.json"
    r = json.loads(p.read_text()) if p.exists() else {"failed": 1}
    for k in total:
        total[k] += r.get(k, 0)
print(f"{total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
sys.exit(1 if total["failed"] else 0)
