#!/usr/bin/env python3
"""dep3.py OUTDIR PATCH... : write git format-patch files as Debian kernel
packaging patches with DEP-3 headers, and check the headers.

For each patch, in order: OUTDIR/debian/patches/DIR/NAME.patch, where NAME
is the subject in lower case with dashes, and DIR is bugfix/all, or
features/all for a patch whose message says it is not for stable (a
speed-up rather than a fix). Prints one tab-separated line per patch:
series entry, Origin, Forwarded.

Headers, in the format-patch style Debian's kernel patches use:
  From, Date, Subject    the patch's own (Subject without "[PATCH]");
                         the message body is the long description
  Origin                 "backport, <upstream commit URL>" when the
                         message names the upstream commit that made the
                         equivalent change ("Upstream made the equivalent
                         change in <id>"), else "other" with a reason
  Bug-Debian             from $BUG_DEBIAN (a number or a URL), if set
  Forwarded              $FORWARDED (a URL, once posted), else "no"
  Last-Update            the patch's Date, as YYYY-MM-DD
"""
import email.utils
import os
import re
import sys

UPSTREAM_URL = "https://git.kernel.org/linus/%s"
EQUIV = re.compile(r"Upstream made the equivalent change in ([0-9a-f]{12,40})\b")
NOT_STABLE = re.compile(r"not for stable", re.I)


def split_patch(text):
    """(headers dict, message body, the rest from the '---' line)"""
    head, _, rest = text.partition("\n\n")
    headers = {}
    for line in head.splitlines():
        if line.startswith("From ") and not headers:
            continue                      # the mbox separator line
        if line[:1] in " \t":
            headers[last] += " " + line.strip()
            continue
        last, _, value = line.partition(":")
        headers[last] = value.strip()
    body, sep, diff = rest.partition("\n---\n")
    if not sep:
        sys.exit("no '---' line after the message")
    # drop format-patch's signature ("-- " and the git version)
    diff = re.sub(r"\n-- \n[^\n]*\n*\Z", "\n", diff)
    return headers, body.rstrip("\n"), diff


def slug(subject):
    s = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")
    if len(s) > 72:
        s = s[:72].rsplit("-", 1)[0]
    return s


def convert(path, outdir):
    headers, body, diff = split_patch(open(path).read())
    subject = re.sub(r"^\[[^]]*\]\s*", "", headers["Subject"])
    flat = " ".join(body.split())
    m = EQUIV.search(flat)
    if m:
        origin = "backport, " + UPSTREAM_URL % m.group(1)
    else:
        origin = "other, written for this 6.1.y series; no upstream commit makes this change"
    where = "features/all" if NOT_STABLE.search(flat) else "bugfix/all"
    date = email.utils.parsedate_to_datetime(headers["Date"]).strftime("%Y-%m-%d")
    forwarded = os.environ.get("FORWARDED") or "no"
    out = ["From: " + headers["From"], "Date: " + headers["Date"],
           "Subject: " + subject, "Origin: " + origin]
    bug = os.environ.get("BUG_DEBIAN")
    if bug:
        out.append("Bug-Debian: " + (bug if "://" in bug else "https://bugs.debian.org/" + bug))
    out += ["Forwarded: " + forwarded, "Last-Update: " + date]
    entry = "%s/%s.patch" % (where, slug(subject))
    dest = os.path.join(outdir, "debian", "patches", entry)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "w") as f:
        f.write("\n".join(out) + "\n\n" + body + "\n---\n" + diff)
    return entry, origin, forwarded


def check(path):
    """DEP-3 fields a Debian reviewer looks for; returns a list of problems."""
    headers, body, diff = split_patch(open(path).read())
    bad = []
    if not headers.get("Subject") and not headers.get("Description"):
        bad.append("no Subject/Description")
    if not headers.get("From") and not headers.get("Author"):
        bad.append("no From/Author")
    o = headers.get("Origin", "")
    if not re.match(r"^((upstream|backport|vendor|other)(, .+)?|https?://\S+)$", o):
        bad.append("bad Origin %r" % o)
    if o.startswith(("upstream", "backport")) and "://" not in o:
        bad.append("Origin %r names no commit" % o)
    f = headers.get("Forwarded", "")
    if not re.match(r"^(no|not-needed|https?://\S+)$", f):
        bad.append("bad Forwarded %r" % f)
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", headers.get("Last-Update", "")):
        bad.append("bad Last-Update")
    if not body.strip():
        bad.append("no long description")
    if "\ndiff --git " not in "\n" + diff:
        bad.append("no diff")
    return bad


def main():
    outdir, patches = sys.argv[1], sys.argv[2:]
    seen = set()
    status = 0
    for p in patches:
        entry, origin, forwarded = convert(p, outdir)
        if entry in seen:
            sys.exit("two patches would be %s" % entry)
        seen.add(entry)
        problems = check(os.path.join(outdir, "debian", "patches", entry))
        if problems:
            print("DEP-3 problems in %s: %s" % (entry, "; ".join(problems)), file=sys.stderr)
            status = 1
        print("%s\t%s\t%s" % (entry, origin, forwarded))
    sys.exit(status)


if __name__ == "__main__":
    main()
