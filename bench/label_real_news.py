"""Build the real-news labelled set for the tagger (bench/data/tagging_real_news.jsonl) from
../shared/benchmarks: the 137 English news texts of extraction/zyte_aeb (gold article text, page title) and the
GeoWebNews, TR-News and LGL documents of geo/. The texts stay in ../shared; the data file holds only document ids,
offsets, labels and a short reading for each judgement.

    .venv/bin/python bench/label_real_news.py          # rewrites bench/data/tagging_real_news.jsonl

How the labels were decided (docs/tagging.md has the readings):
- Candidates are every mention the tagger of 2026-12-01 (before this work) found, every hit of a broad search
  (country words in any case, adjectives, capitals, seats of power, abbreviations, office holders' surnames)
  and every gold span of the geo corpora.
- They were grouped by (surface, the capitalised name span around it, context pattern) and each group was judged
  against MENTION_POLICY.md after reading samples of it; the judgements are the tables below (one reading per
  entry). Every case issue 13 lists was read in full. A candidate no table entry covers keeps the default
  reading of its class: a country name, adjective, capital or seat of power in running prose counts.
- Office holders: the referent of a surname is the nearest full name with that surname before it in the article
  (after it when none comes before); it counts when that person is a watched office holder in office on the
  article's date, or named with the office's title ("President Obama") unless "former", "Vice", "-elect" ...
- Dates: the page's declared date (zyte_aeb; the benchmark's crawl, November 2019, when the page declares none or a
  date before 1995), the year and month in the address (geo), otherwise the corpus era (GeoWebNews January 2018,
  TR-News mid-2016 or mid-2017 when the text calls Trump president, LGL mid-2009).
- The held-out third: documents whose sha256(doc id) is divisible by 3; chosen before any tagger change.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

SHARED = ROOT.parent / "shared" / "benchmarks"
OUT = ROOT / "bench" / "data" / "tagging_real_news.jsonl"
ERA = {"GeoWebNews": "2018-01-15", "TR-News": "2016-06-15", "LGL": "2009-06-15"}
CRAWL = "2019-11-19"


def split_of(doc_id: str) -> str:
    return "heldout" if int(hashlib.sha256(doc_id.encode()).hexdigest(), 16) % 3 == 0 else "tune"


def load_documents() -> list[dict]:
    """Every document with its id, title, text, date (and how the date was read) and split."""
    from newsmon.extract import parse_html, read_metadata

    zyte = SHARED / "extraction" / "zyte_aeb"
    gold = json.loads((zyte / "ground_truth.json").read_text(encoding="utf-8"))
    docs = []
    for zid in (zyte / "news_en_ids.txt").read_text().split():
        html = gzip.open(zyte / "html" / f"{zid}.html.gz").read().decode("utf-8", "replace")
        meta = read_metadata(parse_html(html))
        pub = meta["published"]
        trusted = pub is not None and pub.year >= 1995
        docs.append(
            {
                "doc": f"zyte_aeb/{zid}",
                "title": meta["title"] or "",
                "text": gold[zid]["articleBody"],
                "date": pub.date().isoformat() if trusted else CRAWL,
                "date_source": meta["date_source"] if trusted else "benchmark crawl (no trusted page date)",
            }
        )
    for line in (SHARED / "geo" / "cru_country_mentions_gold.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        g = json.loads(line)
        if g["dataset"] not in ERA:
            continue
        m = re.search(r"/(20\d\d)/(\d\d)/", g.get("url") or "")
        if m:
            day, source = f"{m.group(1)}-{m.group(2)}-15", "year and month in the address"
        elif g["dataset"] == "TR-News" and re.search(
            r"(?<!former )(?<!Former )President (?:Donald )?Trump", g["text"]
        ):
            day, source = "2017-06-15", "corpus era; the text calls Trump president"
        else:
            day, source = ERA[g["dataset"]], "corpus era"
        docs.append(
            {
                "doc": f"geo/{g['dataset']}/{g['doc_id']}",
                "title": "",
                "text": g["text"],
                "date": day,
                "date_source": source,
                "gold": g["country_spans"],
            }
        )
    for d in docs:
        d["split"] = split_of(d["doc"])
    return docs


# ---------------------------------------------------------------------------------------------------- candidates

BROAD = re.compile(
    r"""(?x)
    \b(?i:china|chinese|sino|beijing|peking|zhongnanhai|mainland|prc|russia|russian|russians|russo|moscow|kremlin
       |soviet|soviets|ussr|america|american|americans|americas|washington|white\s+house|pentagon|capitol\s+hill
       |state\s+department|united\s+states(?:\s+of\s+america)?|yankees?)\b
    |\b(?:U\.S\.A\.|U\.S\.|U\.S\b|US\b|USA\b)
    |\b(?:Xi|Jinping|Putin|Medvedev|Lavrov|Mishustin|Trump|Biden|Obama|Bush|Clinton|Kerry|Rice|Powell|Pompeo|Tillerson
       |Blinken|Rubio|Albright|Keqiang|Jiabao|Jintao|Wang|Jiechi|Qiang|Qin|Hu|Wen|Li|Yang)\b
    """
)


def candidates(tagger, docs: list[dict]) -> list[dict]:
    """Tagger mentions, broad-search hits and geo gold spans, merged by overlap (one candidate per span)."""
    out = []
    for d in docs:
        for part in ("title", "text"):
            text = d[part]
            if not text:
                continue
            found = (
                tagger.tag_article(text, "", d["date"])
                if part == "title"
                else tagger.tag_article(None, text, d["date"])
            ).mentions
            spans: dict[tuple[int, int], str | None] = {(m.start, m.end): m.country for m in found}
            extra = [(b.start(), b.end()) for b in BROAD.finditer(text)]
            if part == "text":
                extra += [(g["start"], g["end"]) for g in d.get("gold", [])]
            for s, e in extra:
                if not any(a < e and s < b for a, b in spans):
                    spans[(s, e)] = None
            for (s, e), country in sorted(spans.items()):
                out.append({"doc": d["doc"], "part": part, "start": s, "end": e, "tagged": country})
    return out


# ---------------------------------------------------------------------------------------------------- judgements

# Proper names (organisations, companies, events, schools, parties, outlets, works, places) whose country word does
# not refer to the country. Read group by group; the state's own bodies are not here (they count).
NOT_THE_COUNTRY = [
    (
        r"American (?:Heart|Diabetes|Psychological|Hotel and Lodging) Association|American Society of Plastic Surgeons"
        r"|American Board of Radiology|American Farm Bureau(?: Federation)?|American Enterprise Institute"
        r"|American Center for Law and Justice|American Red Cross|American Legion|Alliance for American Manufacturing"
        r"|United States Volleyball Association|Mid-America Council|Future Farmers of America",
        "association or institute named with the adjective: an organisation, not the state",
    ),
    (
        r"American Airlines|American Eagle(?: Mortgage Corp)?|American Electric(?: Power)?|American Woodmark"
        r"|American International Group|American Bank|Anglo American|USA Hauling|Corporation of America|Reserve America"
        r"|Nissan North America|Michelin North America|Bank of America|DKMS Americas|Russian Standard",
        "company or brand name",
    ),
    (
        r"American Music Awards|Miss America|US Open|Accessible America Competition|Beijing Olympics|America's Cup"
        r"|Mid-American Conference|American League(?: Division Series)?|Club Am[eé]rica",
        "event, award, competition, league or club",
    ),
    (
        r"Culinary Institute of America|American University(?: of Kabul)?|Washington (?:Latin(?: Public Charter)? School"
        r"|University)|University of Washington|George Washington High School|Russian Higher School of Economics"
        r"|United Way of America",
        "school, university or charity name",
    ),
    (r"United Russia|Democratic Party of Russia", "political party named with the country word"),
    (
        r"The Moscow Times|Moscow Times|Washington Post|USA TODAY|USA Today|MIL-OSI USA|BBC Russian Service"
        r"|Russia in Global Affairs|South China Morning Post|Washington Times",
        "outlet or publication name",
    ),
    (r"Great American Song ?Book|American Artists from the Russian Empire", "title of a work or exhibition"),
    (r"(?:State )?Russian Museum|Tretyakov", "museum name"),
    (r"Chinese Human Rights Defenders", "non-governmental group"),
    (
        r"South China Sea|East China Sea|China Grove|U\.S\. Virgin Islands|Lower Mainland|Mount Washington(?: Hotel)?"
        r"|Washington (?:Square|Drive|Avenue|Street|Township|County|Capitals)|East Washington Street"
        r"|Clinton (?:Street|St\b|Avenue|Township)|S\. Clinton Avenue|Sarah Bush Lincoln Hospital|Psi Iota Xi",
        "place, street, building or team name",
    ),
    (r"Russian Empire", "a former state, read like the Soviet Union (not counted)"),
    (r"Trump Tower|Trump Organization|Trump Jr", "a building, company or a namesake, not the office holder"),
    (
        r"(?:Washington|Washington State) Department of Health|Washington Healthcare Authority",
        "an agency of Washington state",
    ),
]

# Context patterns read group by group. Each: (regex over the text, the group the candidate must overlap, reading).
CONTEXTS = [
    (r"\b(?:U\.S\.|US)(?: Highway| Route)? \d+[A-Z]?\b|\bUS-\d+", "road number"),
    (
        r"\b(?:US|U\.S\.) dollars?|\$[\d,.]+(?: (?:million|billion))? (?:US|U\.S\.)\b|\b(?:US|U\.S\.|USA)\$",
        "currency marker",
    ),
    (
        r"\b(?:North|South|Central|Latin|Anglo|Mid)[- ]Americ(?:a|an|ans)\b|\bAmericas\b",
        "another America (policy)",
    ),
    (r"\bSoviet(?:s| Union)?\b|\bUSSR\b", "the Soviet Union (policy)"),
    (r"\bthe mainland\b|\bon the mainland\b", '"the mainland": a description, not a name the policy lists'),
    (r"(?i:\bRussian roulette)", "idiom (policy)"),
    (r"\b(?:George|Kerry|Booker T\.) Washington\b", "a person named Washington"),
    (
        r"\b(?:Tacoma|Kent|Seattle|Spokane), Washington\b|Colorado,\s*Washington|Oregon and Washington|California or "
        r"Washington|Otoe and Washington counties|washington-states|Washington state|(?i:central|eastern|western) Washington",
        "Washington state",
    ),
    (r"took over Washington", "a sports team named Washington"),
    (
        r"printed in Chinese|Russian is widely spoken|in halting Russian|Her Russian is|my Chinese",
        "a language",
    ),
    (
        r"Xie Yang|Fenggang Yang|Andrew Yang|Li Jifeng|Li Wenzu|\bLi\b(?= and a small| wore| has made| talked"
        r"| shouldn't)|Li Heping|Qiang people|Rev\. Gerald Powell|Rice production|Wang Quanzhang|Amy B Wang",
        "a namesake of an office holder (another person, a people, a crop)",
    ),
    (r"(?<=\bin )Clinton\b(?= April)|Clinton, 10\.5 percent|CLINTON —", "a town named Clinton"),
    (r"state Department of", "a state's department (not the US State Department)"),
    (r"Yankees?", "a baseball team or nickname"),
]

TITLES = (
    r"(?:President|Premier|Prime Minister|Foreign Minister|Secretary of State|Chairman|General Secretary)"
)
FORMER = r"(?i:former|ex-|late|then-|vice|governor|senator|sen\.|rep\.|candidate|nominee)[\s-]*"
NOT_A_GIVEN_NAME = {
    "President",
    "Mr",
    "Mrs",
    "Ms",
    "Mr.",
    "Mrs.",
    "Ms.",
    "Secretary",
    "Minister",
    "Premier",
    "Governor",
    "Senator",
    "Sen.",
    "Vice",
    "State",
    "Chairman",
    "Former",
    "The",
    "the",
    "Hail",
    "Make",
    "When",
    "But",
    "And",
    "As",
    "While",
    "Once",
    "Since",
    "Under",
    "Even",
    "Earlier",
    "If",
    "Although",
    "During",
    "Despite",
    "Why",
    "What",
    "How",
    "In",
    "Following",
    "On",
    "At",
    "From",
    "With",
    "By",
    "For",
    "To",
    "Of",
    "Like",
    "Said",
    "Says",
    "Then",
    "So",
    "Only",
    "Also",
    "Against",
    "Before",
    "After",
    "Meet",
    "Via",
    "Than",
    "About",
    "Over",
    "Dear",
    "Presidents",
}


class Judge:
    """The readings above applied to one document."""

    def __init__(self, doc: dict, part: str, people):
        self.doc, self.text = doc, doc[part]
        self.day = doc["date"]
        self.people = people  # surname -> [(full names, country, Person)]
        self.not_country = [
            (m.span(), why) for rx, why in NOT_THE_COUNTRY for m in re.finditer(rx, self.text)
        ]
        self.contexts = [(m.span(), why) for rx, why in CONTEXTS for m in re.finditer(rx, self.text)]

    def covered(self, table, s: int, e: int):
        return next((why for (a, b), why in table if a < e and s < b), None)

    def __call__(self, s: int, e: int) -> tuple[str | None, str, str]:
        """(country or None, reading, which table decided)."""
        text, surface = self.text, self.text[s:e]
        token_start = max(text.rfind(" ", 0, s), text.rfind("\n", 0, s)) + 1
        if "://" in text[token_start:s] or text[token_start:s].startswith("www."):
            return None, "inside a web address", "url"
        why = self.covered(self.not_country, s, e)
        if why:
            return None, why, "name"
        why = self.covered(self.contexts, s, e)
        if why:
            return None, why, "context"
        surname = surface.split()[-1]
        if surname in self.people or surface in ("Xi", "Xi Jinping"):
            return self.person(s, e, surname)
        return self.country_word(surface)

    def country_word(self, surface: str):
        low = surface.lower()
        table = [
            (
                "CN",
                (
                    "china",
                    "chinese",
                    "beijing",
                    "zhongnanhai",
                    "prc",
                    "sino",
                    "mainland china",
                    "people's republic",
                ),
            ),
            ("RU", ("russia", "russian", "moscow", "kremlin", "russo")),
            (
                "US",
                (
                    "america",
                    "united states",
                    "u.s",
                    "us",
                    "usa",
                    "washington",
                    "white house",
                    "pentagon",
                    "capitol hill",
                    "state department",
                ),
            ),
        ]
        for code, words in table:
            if any(low.startswith(w) for w in words):
                if low == "us" and surface != "US":
                    break
                return (
                    code,
                    "country name, adjective, capital or seat of power for the state, people or territory",
                    "default",
                )
        return None, "not a watched country word", "default"

    def person(self, s: int, e: int, surname: str):
        text = self.text
        title_in_span = re.match(rf"{TITLES}\s+", text[s:e])
        name_start = s + (title_in_span.end() if title_in_span else 0)
        name = text[name_start:e]
        before = text[max(0, name_start - 60) : name_start]
        given = re.search(r"(?<![.!?:|]\s)(?<![.!?:|])\b([A-Z][\w.'’-]*)\s+$", before)
        headline = (
            self.doc.get("_part") == "title"
            or text[:200].startswith("TITLE:")
            and name_start < text.find("\n")
        )
        full = None
        if " " in name:
            full = name
        elif (
            given
            and given.group(1) not in NOT_A_GIVEN_NAME
            and not given.group(1).endswith(".")
            and not headline
        ):
            full = f"{given.group(1)} {surname}"
        else:  # bare surname: the nearest full name with this surname, before it or else after it
            names = [
                (m.start(), m.group(1))
                for m in re.finditer(rf"\b([A-Z][a-z]+(?: [A-Z]\.)?) {surname}\b", text)
                if m.group(1) not in NOT_A_GIVEN_NAME
            ]
            surname_first = any(
                n.split()[0] == surname for e in self.people.get(surname, []) for n in e[0] if " " in n
            )
            names += [  # names written surname first ("Wang Yi", "Wang Quanzhang"), for Chinese office holders
                (m.start(), m.group(1))
                for m in re.finditer(rf"\b{surname} ([A-Z][a-z]+(?:-[a-z]+)?)\b", text)
                if surname_first and m.group(1) not in NOT_A_GIVEN_NAME
            ]
            prior = [n for p, n in names if p < name_start]
            later = [n for p, n in names if p > name_start]
            if prior or later:
                given_name = prior[-1] if prior else later[0]
                first = [p for p, n in names if n == given_name]
                surname_first = text.startswith(f"{surname} {given_name}", first[0])
                full = f"{surname} {given_name}" if surname_first else f"{given_name} {surname}"
        person = self.person_named(full, surname)
        if person is None:
            return None, f"{full or surname}: not a watched office holder", "person"
        code, p = person
        titled = title_in_span or re.search(rf"{TITLES}\s+$", before)
        former = (
            re.search(rf"{FORMER}(?:{TITLES})?\s*$", text[max(0, s - 40) : s])
            or re.match(r"\s*-?elect", text[e : e + 8])
            or re.search(r"(?i)-elect\s+$", before)
        )
        from datetime import date

        in_office = p.in_office(date.fromisoformat(self.day))
        label = full or surname
        if titled and not former:
            return code, f"{label} with the office's title", "person"
        if in_office:  # "then-President Putin" in 2009: still in office (as prime minister) that day
            return code, f"{label}, in office on the article's date", "person"
        return None, f"{label}, not in office on the article's date (or former, vice, -elect)", "person"

    def person_named(self, full: str | None, surname: str):
        for names, code, p in self.people.get(surname, []):
            if full is None or full in names or full.replace("Sergey", "Sergei") in names:
                if full is None and not any(n == surname for n in names):
                    continue  # a bare titled-only surname with no full name in the article
                return code, p
        return None


def watched_people(tagger) -> dict:
    out: dict[str, list] = {}
    for alias in tagger.watchlist.aliases:
        p = alias.person
        if p is None or alias.titled or not alias.text.isascii():
            continue
        names = set(p.aliases) | {f"George {n}" for n in p.aliases if n == "George W. Bush"}
        surname = alias.text.split()[-1]
        entry = (names | {"George Bush"} if "George W. Bush" in names else names, p.country, p)
        if all(e[2] is not p for e in out.get(surname, [])):
            out.setdefault(surname, []).append(entry)
    # titled-only surnames ("Clinton", "Wang") are keys too, through their full names
    return out


def main() -> int:
    from newsmon.tagging import Tagger

    tagger = Tagger()
    docs = load_documents()
    people = watched_people(tagger)
    by_id = {d["doc"]: d for d in docs}
    rows = []
    for d in docs:
        rows.append(
            {
                "type": "doc",
                "doc": d["doc"],
                "split": d["split"],
                "date": d["date"],
                "date_source": d["date_source"],
                "chars": len(d["text"]),
                "sha256": hashlib.sha256(d["text"].encode()).hexdigest()[:16],
            }
        )
    # The candidates of the first build (with the tagger of before issue 13) stay candidates, so the judged set
    # does not move with the tagger; later taggers can only add candidates.
    first = {}
    if OUT.exists():
        for line in OUT.read_text(encoding="utf-8").split("\n"):
            if line.strip() and json.loads(line)["type"] == "span":
                row = json.loads(line)
                first[(row["doc"], row["part"], row["start"], row["end"])] = row["tagger_before"]
    merged = {(c["doc"], c["part"], c["start"], c["end"]): c for c in candidates(tagger, docs)}
    for key, before in first.items():
        merged[key] = {"doc": key[0], "part": key[1], "start": key[2], "end": key[3], "tagged": before}
    for key, c in merged.items():
        if key not in first and first:
            c["tagged"] = "(new candidate)"
    judges: dict = {}
    for c in sorted(merged.values(), key=lambda c: (c["doc"], c["part"], c["start"], c["end"])):
        key = (c["doc"], c["part"])
        if key not in judges:
            judges[key] = Judge(by_id[c["doc"]], c["part"], people)
        country, reading, by = judges[key](c["start"], c["end"])
        rows.append(
            {
                "type": "span",
                "doc": c["doc"],
                "part": c["part"],
                "start": c["start"],
                "end": c["end"],
                "country": country,
                "reading": reading,
                "decided_by": by,
                "tagger_before": c["tagged"],
            }
        )
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    spans = [r for r in rows if r["type"] == "span"]
    print(
        f"{len(docs)} documents, {len(spans)} judged spans, {sum(r['country'] is not None for r in spans)} mentions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
