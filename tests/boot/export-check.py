#!/usr/bin/env python3
"""Reads back what perfvisor script / convert wrote, with readers that share no code with
perfvisor, and compares per-function shares with perfvisor report's.  Used by export-tests.sh.

  export-check.py shares REPORT FORMAT FILE   per-function self shares of FILE == REPORT's
  export-check.py speedscope FILE [SCHEMA]    JSON schema (speedscope's own, if given), structure
  export-check.py svg FILE                    XML, self-contained, boxes nested consistently
  export-check.py script FILE FOLDED          perf-script text read as stackcollapse-perf.pl and the
                                              Firefox Profiler's importer read it == folded stacks
  export-check.py children REPORT FORMAT FILE per-function inclusive shares of FILE == REPORT's,
                                              where REPORT is `report --children --sort sym`
  export-check.py total REPORT FORMAT FILE    the total weight == the report's event count
  export-check.py collapsed FILE FOLDED       stackcollapse-perf.pl's output of the script text
                                              (COMM "DOMAIN:PROCESS" as its root) == the folded file
  export-check.py domains REPORT FORMAT FILE  (domain, process) shares of FILE == REPORT's, where
                                              REPORT is sorted by domain,process (pprof: FILE is
                                              `go tool pprof -tags` text: domains and processes)

REPORT is `perfvisor report --stdio --sort sym` output.  Prints one line, exits 0 or 1."""
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def fail(msg):
    print(msg)
    sys.exit(1)


def report_shares(path):
    """{symbol: percent} from the report's rows ('  62.69%  [g] leaf'), levels merged."""
    shares, total = defaultdict(float), None
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^# Event count \(approx\.\): (\d+)", line)
        if m:
            total = int(m.group(1))
        m = re.match(r"^\s+([\d.]+)%\s+\[(.)\]\s+(.*?)\s*$", line)
        if m:
            shares[m.group(3)] += float(m.group(1))
            ROWS[("self", m.group(3))] += 1
    if not shares or total is None:
        fail("no rows or no event count in the report %s" % path)
    return shares, total


# report rows summed per name (one per level: [g] main and [.] main): each rounded to 0.01
ROWS = defaultdict(int)


def tolerance(kind, name):
    return 0.0051 * max(1, ROWS[(kind, name)])


def folded_self(path):
    """{leaf: weight} and the total of a folded-stacks file."""
    leaf, total = defaultdict(int), 0
    for line in open(path, encoding="utf-8"):
        stack, _, w = line.rstrip("\n").rpartition(" ")
        frames = stack.split(";")
        if len(frames) < 3 or not w.isdigit():
            fail("bad folded line: %r" % line)
        leaf[frames[-1]] += int(w)
        total += int(w)
    return leaf, total


def pprof_top_self(path):
    """{function: flat} from `go tool pprof -top -nodefraction=0 -nodecount=N` text."""
    flat, total = defaultdict(int), None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^Showing nodes accounting for .* of (\d+)events total", line)
        if m:
            total = int(m.group(1))
        m = re.match(r"^\s*(\d+)events\s+[\d.]+%\s+[\d.]+%\s+\d+events\s+[\d.]+%\s+(.*?)\s*$", line)
        if m:
            flat[m.group(2)] += int(m.group(1))
        m = re.match(r"^\s*0\s+0%\s+[\d.]+%\s+\d+events\s+[\d.]+%\s+(.*?)\s*$", line)
        if m:
            flat[m.group(1)] += 0
    if total is None:
        fail("no total in pprof's output %s" % path)
    return flat, total


def speedscope_self(path):
    d = json.load(open(path, encoding="utf-8"))
    frames = d["shared"]["frames"]
    leaf, total = defaultdict(int), 0
    for p in d["profiles"]:
        for stack, w in zip(p["samples"], p["weights"]):
            leaf[frames[stack[-1]]["name"]] += w
            total += w
    return leaf, total


def svg_boxes(path):
    root = ET.parse(path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    return [g for g in root.iter(ns + "g") if g.get("class") == "fg"], root


def svg_self(path):
    boxes, _ = svg_boxes(path)
    leaf, total = defaultdict(int), 0
    for g in boxes:
        if g.get("data-k") in ("kernel", "user", "hypervisor"):
            leaf[g.get("data-n")] += int(g.get("data-s"))
        if g.get("data-d") == "0":
            total = int(g.get("data-w"))
    return leaf, total


def json_self(path):
    d = json.load(open(path, encoding="utf-8"))
    leaf, total = defaultdict(int), 0
    for s in d["stacks"]:
        leaf[d["frames"][s["frames"][0]]["symbol"]] += s["weight"]
        total += s["weight"]
    if total != d["total_weight"]:
        fail("json: stacks add up to %d, total_weight says %d" % (total, d["total_weight"]))
    return leaf, total


READERS = {"folded": folded_self, "pprof": pprof_top_self, "speedscope": speedscope_self,
           "svg": svg_self, "json": json_self}


def cmd_shares(report, fmt, path):
    want, _ = report_shares(report)
    got, total = READERS[fmt](path)
    if not total:
        fail("%s: total weight 0" % fmt)
    bad = []
    for sym in sorted(set(want) | set(got)):
        g = 100.0 * got.get(sym, 0) / total
        w = want.get(sym, 0.0)
        if abs(g - w) > tolerance("self", sym):  # the report rounds to 0.01
            bad.append("%s: %.3f%% vs report %.2f%%" % (sym, g, w))
    if bad:
        fail("%s: %d functions differ: %s" % (fmt, len(bad), "; ".join(bad[:5])))
    print("%s: %d functions' self shares equal the report's" % (fmt, len(want)))


def cmd_total(report, fmt, path):
    _, want = report_shares(report)
    _, got = READERS[fmt](path)
    if got != want:
        fail("%s: total %d, report's event count %d" % (fmt, got, want))
    print("%s: total %d == the report's event count" % (fmt, got))


def cmd_speedscope(path, schema=None):
    d = json.load(open(path, encoding="utf-8"))
    how = "structure"
    if schema:
        import jsonschema
        jsonschema.validate(d, json.load(open(schema, encoding="utf-8")))
        how = "speedscope's schema %s and structure" % schema
    if d.get("$schema") != "https://www.speedscope.app/file-format-schema.json":
        fail("speedscope: $schema missing")
    nf = len(d["shared"]["frames"])
    for f in d["shared"]["frames"]:
        if not isinstance(f.get("name"), str):
            fail("speedscope: a frame without a name")
    for p in d["profiles"]:
        for k in ("type", "name", "unit", "startValue", "endValue", "samples", "weights"):
            if k not in p:
                fail("speedscope: profile %r lacks %s" % (p.get("name"), k))
        if p["type"] != "sampled" or p["unit"] != "none":
            fail("speedscope: profile %r is not sampled/none" % p["name"])
        if len(p["samples"]) != len(p["weights"]):
            fail("speedscope: %r: %d samples, %d weights" % (p["name"], len(p["samples"]), len(p["weights"])))
        if sum(p["weights"]) != p["endValue"] - p["startValue"]:
            fail("speedscope: %r: weights do not add up to endValue" % p["name"])
        for s in p["samples"]:
            if not s or any(not isinstance(i, int) or i < 0 or i >= nf for i in s):
                fail("speedscope: %r: a stack with a bad frame index" % p["name"])
    print("speedscope: %d profiles, %d frames valid (%s)" % (len(d["profiles"]), nf, how))


def cmd_svg(path):
    boxes, root = svg_boxes(path)
    text = open(path, encoding="utf-8").read()
    if re.search(r'(href|src)\s*=\s*"(?!#)', text) or "@import" in text:
        fail("svg: refers to an external resource")
    if root.find("{http://www.w3.org/2000/svg}script") is None:
        fail("svg: no script (search and zoom)")
    if not boxes or boxes[0].get("data-d") != "0":
        fail("svg: no root box")
    # every box lies within one box one level down, and a box's width is its self plus its children's
    by_depth = defaultdict(list)
    for g in boxes:
        by_depth[int(g.get("data-d"))].append((int(g.get("data-x")), int(g.get("data-w")), int(g.get("data-s"))))
    for d, lst in by_depth.items():
        if d == 0:
            continue
        for x, w, _ in lst:
            if not any(px <= x and x + w <= px + pw for px, pw, _ in by_depth[d - 1]):
                fail("svg: a box at depth %d is outside every parent" % d)
    for d, lst in by_depth.items():
        for x, w, s in lst:
            kids = sum(cw for cx, cw, _ in by_depth.get(d + 1, []) if x <= cx and cx + cw <= x + w)
            if kids + s != w:
                fail("svg: box at depth %d x %d: children %d + self %d != %d" % (d, x, kids, s, w))
    kinds = sorted({g.get("data-k") for g in boxes})
    print("svg: %d boxes, nested consistently, kinds %s, self-contained" % (len(boxes), ",".join(kinds)))


def perf_script_stacks(path):
    """The samples of a perf script text, read with the rules of stackcollapse-perf.pl and the
    Firefox Profiler's importer (header: comm, pid/tid, time, period, event; frames
    'ADDRESS SYMBOL[+0xOFF] (DSO)', offsets stripped; blank line ends a sample)."""
    first = open(path, encoding="utf-8").readline()
    if not re.match(r"^\S.*?\s+(?:\d+/)?\d+\s+(?:\[\d+\]\s+)?[\d.]+:", first):
        fail("script: first line is not a perf script sample header: %r" % first)
    stacks, threads = defaultdict(int), {}
    comm = period = None
    frames = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if comm is None:
            if not line:
                continue
            m = re.match(r"^(.*)\s+([\d.]+):", line)
            t = m and re.match(r"^(.*)\s+(?:(\d+)/)?(\d+)\b", m.group(1))
            p = re.search(r":\s*(\d+)\s+(\S+):\s*$", line)
            if not (m and t and p):
                fail("script: bad sample header %r" % line)
            comm, period = t.group(1).strip(), int(p.group(1))
            tid = int(t.group(3))
            if threads.setdefault(tid, comm) != comm:
                fail("script: tid %d is both %r and %r" % (tid, threads[tid], comm))
            frames = []
        elif line.strip() == "":
            stacks[";".join([comm.replace(":", ";", 1)] + frames[::-1])] += period
            comm = None
        else:
            m = re.match(r"^\s*(\w+)\s*(.+) \((\S*)\)$", line)
            if not m:
                fail("script: bad frame line %r" % line)
            frames.append(re.sub(r"\+0x[\da-f]+$", "", m.group(2)))
    return stacks, threads


def cmd_script(path, folded):
    got, threads = perf_script_stacks(path)
    want = defaultdict(int)
    for line in open(folded, encoding="utf-8"):
        stack, _, w = line.rstrip("\n").rpartition(" ")
        # perf script names an unknown symbol [unknown], as perf does; the report adds its address
        want[re.sub(r"\[unknown\] 0x[0-9a-f]+", "[unknown]", stack)] += int(w)
    if dict(got) != dict(want):
        diff = sorted(set(got.items()) ^ set(want.items()))[:4]
        fail("script: %d stacks differ from the folded file, e.g. %s" % (len(diff), diff))
    print("script: %d distinct stacks, %d threads, equal to the folded stacks" % (len(got), len(threads)))


def report_pairs(path):
    """{(domain, process): percent} from `report --sort domain,process` rows."""
    pairs = defaultdict(float)
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^\s+([\d.]+)%\s+(\S+)\s+(.*?)\s*$", line)
        if m:
            pairs[(m.group(2), m.group(3))] += float(m.group(1))
            ROWS[("pair", (m.group(2), m.group(3)))] += 1
    if not pairs:
        fail("no rows in the report %s" % path)
    return pairs


def pairs_of(fmt, path):
    """{(domain, process): weight} and the total, as FILE in FORMAT tells them."""
    pairs, total = defaultdict(int), 0
    if fmt == "folded":
        for line in open(path, encoding="utf-8"):
            stack, _, w = line.rstrip("\n").rpartition(" ")
            f = stack.split(";")
            pairs[(f[0], f[1])] += int(w)
    elif fmt == "speedscope":
        for p in json.load(open(path, encoding="utf-8"))["profiles"]:
            d, _, proc = p["name"].partition(": ")
            pairs[(d, proc)] += p["endValue"] - p["startValue"]
    elif fmt == "json":
        d = json.load(open(path, encoding="utf-8"))
        dom = {x["id"]: x["name"] for x in d["domains"]}
        proc = {x["id"]: x["name"] for x in d["processes"]}
        for s in d["stacks"]:
            pairs[(dom[s["domain"]], "[hypervisor]" if s["process"] is None else proc[s["process"]])] += s["weight"]
    elif fmt == "svg":
        boxes, _ = svg_boxes(path)
        doms = [(int(g.get("data-x")), int(g.get("data-w")), g.get("data-n")) for g in boxes if g.get("data-d") == "1"]
        for g in boxes:
            if g.get("data-d") == "2":
                x, w = int(g.get("data-x")), int(g.get("data-w"))
                d = [n for dx, dw, n in doms if dx <= x and x + w <= dx + dw]
                pairs[(d[0] if d else "?", g.get("data-n"))] += w
    elif fmt == "script":
        for stack, w in perf_script_stacks(path)[0].items():
            f = stack.split(";")
            pairs[(f[0], f[1])] += w
    else:
        fail("no (domain, process) reader for %s" % fmt)
    total = sum(pairs.values())
    return pairs, total


def pprof_tags(path):
    """{label: {value: weight}} from `go tool pprof -tags` text."""
    tags, cur = defaultdict(dict), None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^\s*(\w+): Total ([\d.]+)", line)
        if m:
            cur = m.group(1)
            continue
        m = re.match(r"^\s*([\d.]+) \(\s*[\d.]+%\): (.*?)\s*$", line)
        if m and cur:
            tags[cur][m.group(2)] = float(m.group(1))
    return tags


def cmd_domains(report, fmt, path):
    want = report_pairs(report)
    bad = []
    if fmt == "pprof":
        tags = pprof_tags(path)
        for label, idx in (("domain", 0), ("process", 1)):
            w = defaultdict(float)
            for k, v in want.items():
                w[k[idx]] += v
            got = tags.get(label, {})
            total = sum(got.values())
            rows = defaultdict(int)
            for k in want:
                rows[k[idx]] += ROWS[("pair", k)]
            for name in sorted(set(w) | set(got)):
                g = 100.0 * got.get(name, 0) / total if total else 0
                if abs(g - w.get(name, 0)) > 0.0051 * max(1, rows[name]) + 0.001:
                    bad.append("%s %s: %.3f%% vs report %.2f%%" % (label, name, g, w.get(name, 0)))
    else:
        got, total = pairs_of(fmt, path)
        for k in sorted(set(want) | set(got)):
            g = 100.0 * got.get(k, 0) / total if total else 0
            if abs(g - want.get(k, 0)) > tolerance("pair", k):
                bad.append("%s/%s: %.3f%% vs report %.2f%%" % (k[0], k[1], g, want.get(k, 0)))
    if bad:
        fail("%s: domains/processes differ: %s" % (fmt, "; ".join(bad[:5])))
    print("%s: %d (domain, process) shares equal the report's" % (fmt, len(want)))


def report_children(path):
    """{symbol: children percent} from `report --children` rows ('  44.52%  0.07%  [g] main')."""
    shares = defaultdict(float)
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"^\s+([\d.]+)%\s+([\d.]+)%\s+\[(.)\]\s+(.*?)\s*$", line)
        if m:
            shares[m.group(4)] += float(m.group(1))
            ROWS[("children", m.group(4))] += 1
    if not shares:
        fail("no --children rows in the report %s" % path)
    return shares


def inclusive_of(fmt, path):
    """{function: weight of the samples whose stack holds it (once)} and the total."""
    inc, total = defaultdict(int), 0
    if fmt == "folded":
        for line in open(path, encoding="utf-8"):
            stack, _, w = line.rstrip("\n").rpartition(" ")
            for f in set(stack.split(";")[2:]):
                inc[f] += int(w)
            total += int(w)
    elif fmt == "pprof":
        for line in open(path, encoding="utf-8"):
            m = re.match(r"^Showing nodes accounting for .* of (\d+)events total", line)
            if m:
                total = int(m.group(1))
            m = re.match(r"^\s*(\d+)(?:events)?\s+[\d.]+%\s+[\d.]+%\s+(\d+)(?:events)?\s+[\d.]+%\s+(.*?)\s*$", line)
            if m:
                inc[m.group(3)] += int(m.group(2))
    elif fmt == "speedscope":
        d = json.load(open(path, encoding="utf-8"))
        names = [f["name"] for f in d["shared"]["frames"]]
        for p in d["profiles"]:
            for stack, w in zip(p["samples"], p["weights"]):
                for n in {names[i] for i in stack}:
                    inc[n] += w
                total += w
    elif fmt == "json":
        d = json.load(open(path, encoding="utf-8"))
        for st in d["stacks"]:
            for n in {d["frames"][i]["symbol"] for i in st["frames"]}:
                inc[n] += st["weight"]
            total += st["weight"]
    elif fmt == "svg":
        boxes, _ = svg_boxes(path)
        b = [(int(g.get("data-x")), int(g.get("data-w")), int(g.get("data-d")), g.get("data-n"), g.get("data-k"))
             for g in boxes]
        total = max(w for x, w, d, n, k in b if d == 0)
        for x, w, d, n, k in b:
            if k not in ("kernel", "user", "hypervisor"):
                continue
            # counted once: not when an ancestor box has the same name (recursion)
            if not any(ad < d and ax <= x and x + w <= ax + aw and an == n for ax, aw, ad, an, ak in b):
                inc[n] += w
    else:
        fail("no inclusive reader for %s" % fmt)
    return inc, total


def cmd_children(report, fmt, path):
    want = report_children(report)
    got, total = inclusive_of(fmt, path)
    if not total:
        fail("%s: total weight 0" % fmt)
    bad = []
    for sym in sorted(set(want) | set(got)):
        g = 100.0 * got.get(sym, 0) / total
        if abs(g - want.get(sym, 0.0)) > tolerance("children", sym):
            bad.append("%s: %.3f%% vs report %.2f%%" % (sym, g, want.get(sym, 0.0)))
    if bad:
        fail("%s: %d inclusive shares differ: %s" % (fmt, len(bad), "; ".join(bad[:5])))
    print("%s: %d functions' inclusive shares equal the report's --children" % (fmt, len(want)))


def folded_stacks(path):
    want = defaultdict(int)
    for line in open(path, encoding="utf-8"):
        stack, _, w = line.rstrip("\n").rpartition(" ")
        # perf script names an unknown symbol [unknown], as perf does; the report adds its address
        want[re.sub(r"\[unknown\] 0x[0-9a-f]+", "[unknown]", stack)] += int(w)
    return want


def cmd_collapsed(path, folded):
    got = defaultdict(int)
    for line in open(path, encoding="utf-8"):
        stack, _, w = line.rstrip("\n").rpartition(" ")
        got[stack.replace(":", ";", 1)] += int(w)
    want = folded_stacks(folded)
    if dict(got) != dict(want):
        diff = sorted(set(got.items()) ^ set(want.items()))[:4]
        fail("collapsed: %d stacks differ from the folded file, e.g. %s" % (len(diff), diff))
    print("collapsed: stackcollapse-perf.pl's %d stacks equal the folded stacks" % len(got))


def main(a):
    if a[0] == "shares" and len(a) == 4:
        cmd_shares(a[1], a[2], a[3])
    elif a[0] == "collapsed" and len(a) == 3:
        cmd_collapsed(a[1], a[2])
    elif a[0] == "children" and len(a) == 4:
        cmd_children(a[1], a[2], a[3])
    elif a[0] == "domains" and len(a) == 4:
        cmd_domains(a[1], a[2], a[3])
    elif a[0] == "total" and len(a) == 4:
        cmd_total(a[1], a[2], a[3])
    elif a[0] == "speedscope" and len(a) in (2, 3):
        cmd_speedscope(*a[1:])
    elif a[0] == "svg" and len(a) == 2:
        cmd_svg(a[1])
    elif a[0] == "script" and len(a) == 3:
        cmd_script(a[1], a[2])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
