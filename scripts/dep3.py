#!/usr/bin/env python3
"""dep3.py OUTDIR LAYER:PATCH... : write git format-patch files as Debian
kernel packaging patches with DEP-3 headers, and check the headers.

LAYER is the patch's layer in patches/6.1/series (scripts/lib.sh). For
each patch, in order: OUTDIR/debian/patches/DIR/NAME.patch, where NAME is
the subject in lower case with dashes, and DIR is features/all for the
fast layer (speed-ups, not for stable) and bugfix/all for the others (the
fix, our fixes, and the tests and documentation of the fix, which Debian
keeps with it; its patches to tools/ go to bugfix/all too). Prints one
tab-separated line per patch: series entry, layer, Origin, Forwarded.

Headers, in the format-patch style Debian's kernel patches use:
  From, Date, Subject    the patch's own (Subject without "[PATCH]");
                         the message body is the long description
  Origin                 by layer: fix "backport, <upstream commit URL>"
                         from the message's "commit <sha> upstream." line;
                         the others "other, <why there is no upstream
                         commit>"
  Bug-Debian             from $BUG_DEBIAN (a number or a URL), if set
  Forwarded              $FORWARDED (a URL, once posted), else "no"
  Last-Update            the patch's Date, as YYYY-MM-DD
"""
import email.utils
import os
import re
import sys

UPSTREAM_URL = "https://git.kernel.org/linus/%s"
UPSTREAM = re.compile(r"^commit ([0-9a-f]{40}) upstream\.$", re.M)


def layers():
    """patches/6.1/layers.conf: layer -> (stable, Debian directory, Origin)"""
    conf = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "patches", "6.1", "layers.conf")
    out = {}
    with open(conf) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            col = [c.strip() for c in line.split("|")]
            out[col[0]] = (col[1], col[5], col[6])
    return out


LAYERS = layers()
# Layers of backports: Origin names the upstream commit of each patch
BACKPORTS = tuple(k for k, v in LAYERS.items() if v[0] == "backport")
# Origin of the other layers, which have no upstream commit
ORIGIN = {k: v[2] for k, v in LAYERS.items() if k not in BACKPORTS}
DIR = {k: v[1] for k, v in LAYERS.items()}


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


def convert(path, layer, outdir):
    headers, body, diff = split_patch(open(path).read())
    subject = re.sub(r"^\[[^]]*\]\s*", "", headers["Subject"])
    if layer in BACKPORTS:
        # without that line Origin names no commit, which main() reports
        m = UPSTREAM.search(body)
        origin = "backport, " + UPSTREAM_URL % m.group(1) if m else "backport"
    else:
        origin = ORIGIN[layer]
    where = DIR[layer]
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
    for arg in patches:
        layer, _, p = arg.partition(":")
        if layer not in DIR:
            sys.exit("%s: unknown layer %r" % (p, layer))
        entry, origin, forwarded = convert(p, layer, outdir)
        if entry in seen:
            sys.exit("two patches would be %s" % entry)
        seen.add(entry)
        problems = check(os.path.join(outdir, "debian", "patches", entry))
        if layer in BACKPORTS and "://" not in origin:
            problems.append("a backport without its 'commit <sha> upstream.' line")
        if problems:
            print("DEP-3 problems in %s: %s" % (entry, "; ".join(problems)), file=sys.stderr)
            status = 1
        print("%s\t%s\t%s\t%s" % (entry, layer, origin, forwarded))
    sys.exit(status)


if __name__ == "__main__":
    main()
