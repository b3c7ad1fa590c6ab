#!/usr/bin/env python3
"""Check the layering of the source tree (see Makefile.am).

- core files (src/core, encoders) include no X11 header (<X11/...>) and no
  header of the X11 side or the program;
- the X11 side and the program (src/x11, src/cmd, xsession, examples) use
  only the public header and the core headers they are allowed;
- no include cycle between modules (foo.c and foo.h are one module), in
  any of these folders.

Prints every violation and exits 1 if there is one.
Usage: check-layers.py [--known-cycle A,B,...]... [TOP_SRCDIR]
  --known-cycle names (by module stem) a cycle that is known and being
  taken apart; it is reported but not counted, and only while it is
  exactly that cycle.
"""
import os
import re
import sys

ALLOWED_CORE = {"buf.h", "log.h", "region.h", "sec-vncauth.h", "utf8.h"}
CORE_DIRS = ["src/core", "encoders"]
SIDE_DIRS = ["src/x11", "src/cmd", "xsession"]
LIB_ONLY_DIRS = ["examples"]          # the public header alone
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def sources(top, d):
    full = os.path.join(top, d)
    if not os.path.isdir(full):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(full)
                  if f.endswith((".c", ".h")))


def includes(top, path):
    text = open(os.path.join(top, path), encoding="utf-8",
                errors="replace").read()
    # drop comments so that an include named in prose does not count
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return INCLUDE_RE.findall(text)


def module(path):
    return os.path.splitext(path)[0]


def main():
    args = sys.argv[1:]
    known = []
    while len(args) >= 2 and args[0] == "--known-cycle":
        known.append(sorted(args[1].split(",")))
        args = args[2:]
    top = args[0] if args else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    errors = []
    core = [f for d in CORE_DIRS for f in sources(top, d)]
    side = [f for d in SIDE_DIRS for f in sources(top, d)]
    lib_only = [f for d in LIB_ONLY_DIRS for f in sources(top, d)]
    by_name = {}
    for f in core + side:
        by_name.setdefault(os.path.basename(f), []).append(f)
    core_names = {os.path.basename(f) for f in core}
    side_names = {os.path.basename(f) for f in side}

    graph = {}
    for f in core + side + lib_only:
        local_dir = os.path.dirname(f)
        for kind, name in includes(top, f):
            if f in core:
                if kind == "<" and name.startswith("X11/"):
                    errors.append(f"{f}: the core includes <{name}>")
                if kind == '"' and name in side_names \
                        and name not in core_names:
                    errors.append(f'{f}: the core includes "{name}", '
                                  'a header of the X11 side or the program')
            if f in side and kind == '"' and name in core_names \
                    and name not in ALLOWED_CORE \
                    and name not in side_names:
                errors.append(f'{f}: includes the core header "{name}"; '
                              'allowed: ' + ", ".join(sorted(ALLOWED_CORE)))
            if f in lib_only and kind == '"' and name != "xrfb.h" \
                    and (name in core_names or name in side_names):
                errors.append(f'{f}: includes "{name}"; an embedder has '
                              'only <xrfb.h>')
            if kind != '"':
                continue
            # resolve: the including file's folder first, then by name
            cand = os.path.join(local_dir, name)
            if os.path.exists(os.path.join(top, cand)):
                target = os.path.normpath(cand)
            elif name in by_name and len(by_name[name]) == 1:
                target = by_name[name][0]
            else:
                continue
            a, b = module(f), module(target)
            if a != b:
                graph.setdefault(a, set()).add(b)

    # cycles: Tarjan's strongly connected components
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    for comp in sccs:
        text = "include cycle between modules: " + ", ".join(comp)
        if sorted(os.path.basename(m) for m in comp) in known:
            print("known " + text)
        else:
            errors.append(text)

    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
