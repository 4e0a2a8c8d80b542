"""What the repetition layer's template signal does to extraction F1 on real pages (issue 12).

bench/extraction.py cleans every page on its own (no repetition memory: one page per site gives it nothing to
learn), so the template signal never acts there. Here the pages of each site of a set are cleaned in order with
one shared `BoilerplateMemory`, as a fetch shard would, and then judged again as the loader's revision does, so
that what a later page teaches reaches the earlier ones. Compared per page against the same run with the template
signal off (the count-only layer alone):

    shipped      min_template_pages = 3 (the default)
    sensitivity  min_template_pages = 2: what the signal would do on the many sites with only two pages here

A page is helped (hurt) when its F1 rises (falls) by more than bench/extraction.PAGE_F1_MOVE. Sites are page
hosts without "www."; single-page sites cannot change and are only counted. Also the cost: the DOM-path index
(`clean.block_paths`) against the whole `clean_page` with a memory, on the pages of multi-page sites.

    .venv/bin/python bench/template_signal.py [--sets zyte_news,wcxb_dev,wcxb_test]

Results: bench/results/template_signal.json (counts only; --show prints the removed lines, which are publisher
text and are not saved).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "bench"))

from extraction import EXTRACTION, PAGE_F1_MOVE, SETS, load_set, page_f1, read_bodies, score  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "template_signal.json"
VARIANTS = {"count only": 10**9, "shipped (3 pages)": 3, "sensitivity (2 pages)": 2}


def site_of(url: str | None) -> str:
    host = (urlsplit(url or "").hostname or "unknown").lower()
    return host.removeprefix("www.")


def clean_sites(sites: dict[str, list[str]], bodies: dict[str, bytes], urls: dict, min_pages: int) -> dict:
    """Every page's text after its site's pages were cleaned in order with one memory and judged again."""
    from newsmon.clean import BoilerplateMemory, CleanOptions, clean_page, clean_text

    judge_only = CleanOptions(structure=False, phrases=False, repetition=True, learn=False)
    texts = {}
    for site, ids in sites.items():
        memory = BoilerplateMemory(None, min_template_pages=min_pages)
        first = {i: clean_page(bodies[i], urls[i], site, memory).text for i in ids}
        for i in ids:
            texts[i] = clean_text(first[i], site, memory, judge_only, article_key=_key(urls[i], i)).text
    return texts


def _key(url: str | None, page_id: str) -> str:
    from newsmon.clean import _article_key

    return _article_key(url, [page_id])


def evaluate(set_name: str) -> dict:
    pages = load_set(set_name)
    by_site: dict[str, list[str]] = defaultdict(list)
    for i, p in pages.items():
        by_site[site_of(p.url)].append(i)
    multi = {s: ids for s, ids in by_site.items() if len(ids) >= 2}
    ids = [i for group in multi.values() for i in group]
    bodies = read_bodies(set_name, ids)
    urls = {i: pages[i].url for i in ids}
    gold = {i: pages[i].gold for i in ids}
    runs = {name: clean_sites(multi, bodies, urls, n) for name, n in VARIANTS.items()}
    base = runs["count only"]
    out = {
        "pages": len(pages),
        "sites": len(by_site),
        "multi_page_sites": len(multi),
        "pages_on_multi_page_sites": len(ids),
        "sites_with_3_or_more_pages": sum(len(g) >= 3 for g in multi.values()),
        "f1_multi_page_count_only": round(score(base, gold)["f1"], 4),
    }
    for name in ("shipped (3 pages)", "sensitivity (2 pages)"):
        variant, helped, hurt, changed, removed = runs[name], 0, 0, 0, []
        for i in ids:
            if variant[i] == base[i]:
                continue
            changed += 1
            delta = page_f1(variant[i], gold[i]) - page_f1(base[i], gold[i])
            helped += delta > PAGE_F1_MOVE
            hurt += delta < -PAGE_F1_MOVE
            lost = set(base[i].splitlines()) - set(variant[i].splitlines())
            removed += [
                {
                    "page": i,
                    "line": line[:160],
                    "in_gold": " ".join(line.split()) in " ".join(gold[i].split()),
                }
                for line in sorted(lost)
            ]
        out[name] = {
            "pages_changed": changed,
            "helped": helped,
            "hurt": hurt,
            "f1_multi_page": round(score(variant, gold)["f1"], 4),
            "lines_removed": len(removed),
            "lines_removed_in_gold": sum(row["in_gold"] for row in removed),
            "removed_lines": removed,  # printed with --show, never written (publisher text stays outside)
        }
    out["cost"] = _cost(bodies, urls)
    return out


def _cost(bodies: dict[str, bytes], urls: dict) -> dict:
    """Seconds in `block_paths` against the whole `clean_page` with a memory, same pages, one process."""
    from newsmon.clean import BoilerplateMemory, block_paths, clean_page
    from newsmon.extract import decode_html, parse_html

    index = whole = 0.0
    for i, body in bodies.items():
        tree = parse_html(decode_html(body, None))
        started = time.perf_counter()
        if tree is not None:
            block_paths(tree)
        index += time.perf_counter() - started
        started = time.perf_counter()
        clean_page(body, urls[i], "cost", BoilerplateMemory(None))
        whole += time.perf_counter() - started
    return {"block_paths_share_of_clean_page": round(index / whole, 4) if whole else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--show", action="store_true", help="print the removed lines (publisher text: not saved)")
    args = ap.parse_args()
    if not EXTRACTION.exists():
        print(f"no benchmark pages at {EXTRACTION}: nothing to measure")
        return 0
    results = {name: evaluate(name) for name in args.sets.split(",")}
    for name, r in results.items():
        print(
            f"{name}: {r['pages']} pages, {r['multi_page_sites']} sites with 2+ pages "
            f"({r['pages_on_multi_page_sites']} pages, {r['sites_with_3_or_more_pages']} with 3+); "
            f"count-only F1 on them {r['f1_multi_page_count_only']}; "
            f"block_paths {r['cost']['block_paths_share_of_clean_page']:.1%} of clean_page"
        )
        for variant in ("shipped (3 pages)", "sensitivity (2 pages)"):
            v = r[variant]
            print(
                f"  {variant}: changed {v['pages_changed']}, helped {v['helped']}, hurt {v['hurt']}, "
                f"F1 {v['f1_multi_page']}"
            )
            for row in v.pop("removed_lines") if args.show else v.pop("removed_lines") and []:
                print(f"    - {'GOLD ' if row['in_gold'] else ''}{row['page'][:10]}: {row['line'][:110]}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report(results), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {RESULTS.relative_to(ROOT)}")
    return 0


def report(results: dict) -> dict:
    """bench/run_all.py's shape: a table, flat figures, the held-out goal, notes (counts only)."""
    rows = [
        "| set | sites with 2+ pages (3+) | variant | pages changed | helped | hurt | F1 on them (count only) |",
        "|---|---|---|---|---|---|---|",
    ]
    figures, goals = {}, []
    for name, r in results.items():
        for variant in ("shipped (3 pages)", "sensitivity (2 pages)"):
            v = r[variant]
            rows.append(
                f"| {name} | {r['multi_page_sites']} ({r['sites_with_3_or_more_pages']}) | {variant} | "
                f"{v['pages_changed']} | {v['helped']} | {v['hurt']} | {v['f1_multi_page']} "
                f"({r['f1_multi_page_count_only']}) |"
            )
            short = variant.split()[0]
            figures[f"{name}_{short}_helped"] = v["helped"]
            figures[f"{name}_{short}_hurt"] = v["hurt"]
        figures[f"{name}_block_paths_share"] = r["cost"]["block_paths_share_of_clean_page"]
        if name == "wcxb_test":
            hurt = max(r[v]["hurt"] - r[v]["helped"] for v in ("shipped (3 pages)", "sensitivity (2 pages)"))
            goals.append(
                {
                    "goal": "no more held-out (wcxb_test) pages hurt than helped, shipped and at 2 pages",
                    "met": hurt <= 0,
                }
            )
    return {
        "title": "Template signal: benchmark sites cleaned in order with one repetition memory",
        "command": ".venv/bin/python bench/template_signal.py",
        "markdown": "\n".join(rows),
        "figures": figures,
        "goals": goals,
        "notes": [
            "Each site's pages cleaned in order with one BoilerplateMemory, then judged again as the loader's "
            "revision does; compared per page with the count-only layer (template signal off).",
            "block_paths_share: the DOM-path index's time as a share of clean_page with a memory.",
        ],
        "sets": results,
    }


if __name__ == "__main__":
    sys.exit(main())
