#!/usr/bin/env python3
"""A consistent Wikipedia multistream + Wikidata JSON dump pair at a fraction F of today's full
size, with the real dumps' shape, and the gold relation rows a correct pipeline must find.

usage: gen.py --fraction F --out DIR [--seed S] [--line-kb K] [--article-kb K] [--workers N]
       gen.py --kb-only --fraction 1 --out DIR     (only the enwiki items, compact lines)

Python standard library only. Deterministic: the same arguments give byte-identical files,
whatever --workers is (every item and article draws from its own seeded generator).

Shape (sources in docs/SCALE.md), all counts times F:
- Wikidata (Jan 2025): 113.5M items + 12.3k properties. Items by index i: i % 16 == 0 has an
  enwiki sitelink (6.25%, ~7.1M), 1..6 scholarly articles (P2860 cites work to other articles,
  P50 authors, P1433 venue, P31 -> Q13442814: a hub with ~40% of all items as in-links), 7..8
  people without an article, 9 venues, 10..15 other items (64% with an English label). Item-valued
  statements average ~6.2 per item and all statements ~14.5, with the real statement layout
  (ids, ranks incl. preferred/deprecated, qualifiers, references, somevalue/novalue, datavalues
  with and without "id" next to "numeric-id"). Countries are hubs: P17/P27/P495 point at them
  with a power law; the top one receives in-links from about 1% of all items. Lines are padded
  with non-English labels, descriptions, aliases and sitelinks to an average of --line-kb (16 KB
  as in the real dump: 1.9 TB / 113.5M), since that is where a real line's bytes are.
- Wikipedia: one article per enwiki item (title = its label), 1.5 redirects per article, streams
  of 100 pages (each worker chunk ends with one shorter stream) + index; ~18 sentences per article
  with one Zipf-popular anchor per sentence, unanchored mentions of other items' labels and
  aliases, and the markup mix (templates, infobox, refs with cite templates, headings, tables,
  files, lists, categories, navboxes) up to --article-kb of wikitext (15 KB).

Names are a bijection of the item index onto two capitalised pseudo-words, so every label and
alias is unique and gold.tsv is exact: a row for every ordered pair of distinct items mentioned in
one prose sentence (anchors through titles or redirects, labels and aliases by name) whose head
has a non-deprecated item-valued claim on the tail with a relation of the bundled set.
Outputs: wikidata.json (+ .gz of one member per chunk, as Wikimedia's), enwiki multistream .bz2 +
index .txt.bz2, gold.tsv, stats.json. Compress wikidata.json to .bz2 with lbzip2 (as Wikimedia
does: one stream); bench/scale/bench.sh does.
"""
import argparse
import bz2
import gzip
import hashlib
import json
import math
import multiprocessing as mp
import os
import random
import sys
import zlib

FULL_ITEMS = 113_472_282
FULL_PROPS = 12_327
BASE = 20_000_000  # generated item i has id Q(BASE + i); real class ids stay below it
CHUNK = 2048  # items per work unit (a multiple of 16 so kinds align)
PAGES_PER_STREAM = 100

SYL = ["ba", "ko", "ru", "te", "si", "na", "lo", "vi", "da", "me", "pu", "ra", "ne", "to", "ki", "mo",
       "sa", "le", "fu", "ga", "di", "no", "ze", "ta", "bo", "ri", "ma", "ve", "lu", "ka", "po", "se"]

# Real class items (coarse type roots of pipeline/data/coarse_types.tsv and their subclasses).
CLASSES = [  # (qid number, English label, P279 parent or None)
    (5, "human", None), (6256, "country", None), (3624078, "sovereign state", 6256),
    (515, "city", None), (1549591, "big city", 515), (43229, "organization", None),
    (783794, "company", 43229), (3918, "university", 43229), (8502, "mountain", None),
    (4022, "river", None), (41176, "building", None), (13442814, "scholarly article", 191067),
    (191067, "article", None), (5633421, "scientific journal", None), (7725634, "literary work", None),
    (482994, "album", None), (11424, "film", None), (16521, "taxon", None),
]
ENWIKI_CLASSES = [5, 5, 5, 515, 1549591, 43229, 783794, 3918, 8502, 4022, 41176, 7725634, 482994, 11424]
OTHER_CLASSES = [5, 16521, 41176, 7725634, 482994, 43229, 515]
# Relations (all in the bundled FewRel set) between enwiki items, with the words of a sentence.
RELS = [
    ("P131", "is located in the administrative territory of"), ("P27", "is a citizen of"),
    ("P19", "was born in"), ("P20", "died in"), ("P69", "was educated at"),
    ("P108", "was employed by"), ("P463", "is a member of"), ("P159", "has its headquarters in"),
    ("P361", "is part of"), ("P527", "has as its part"), ("P50", "was written by"),
    ("P57", "was directed by"), ("P161", "starred"), ("P175", "was performed by"),
    ("P264", "was released on the label"), ("P102", "was a member of the party"),
    ("P136", "belongs to the genre of"), ("P495", "originates from"), ("P710", "had as participant"),
    ("P166", "received the award"), ("P800", "is known for"), ("P921", "has as its main subject"),
    ("P706", "is located on the terrain feature"), ("P47", "shares a border with"),
    ("P150", "contains the territory"), ("P36", "has as its capital"), ("P1433", "was published in"),
    ("P740", "was formed in"), ("P551", "resided in"), ("P112", "was founded by"),
]
REL_PIDS = [p for p, _ in RELS]
COUNTRY_PIDS = [("P17", "is located in the country"), ("P27", "is a citizen of"), ("P495", "comes from")]
# Non-item statements: (property, datatype) with a value maker.
EXT_PROPS = ["P214", "P227", "P244", "P268", "P213", "P646", "P2671", "P349", "P1006", "P269"]
FILLER = ("the of and in to a was is for on as with by at from that which its were an this also "
          "after first two during between new years later other into than most such time under "
          "over while including until some small large early period region following both many "
          "area local national several known based local work group service system form series "
          "history early public state main part major near modern number three since around "
          "original century second development important record common design family "
          "position study report season support project program level power home across").split()
LANGS = ["de", "fr", "es", "it", "nl", "pl", "pt", "sv", "ru", "ja", "zh", "uk", "ca", "cs", "fi",
         "hu", "no", "da", "ro", "tr", "ko", "ar", "fa", "he", "id", "vi", "eo", "eu", "gl", "sk",
         "sl", "bg", "el", "et", "lt", "lv", "hr", "sr", "ms", "th", "hi", "bn", "ta", "ka", "hy",
         "be", "kk", "az", "ur", "cy", "ga", "is", "sq", "mk", "af", "sw", "tl", "la", "oc", "br"]
LANGS += ("an ast bar bs ce ceb cv fy gd gu ha ht ia ig ilo io jv kn ku ky lb li lmo lo mg mi ml mn mr "
          "mt my nds ne nn om or pa pam pms ps qu rm sa sco sd se si so su tg ti tk tt ug uz vec wa war "
          "wo xh yi yo zu zh-hans zh-hant zh-hk zh-tw zh-cn pt-br en-gb en-ca de-ch de-at sr-ec sr-el "
          "be-tarask nan yue ckb arz azb pnb min bcl hsb dsb csb szl frr stq vls zea nap scn lij pcd "
          "ext mwl rup roa-tara fur lld sc co frp wa gv kw ang non got fo kl sma smn sms nov ie vo lfn "
          "jbo tpi bi ty sm to fj haw ch mh na tvl gil").split()
LANGS = list(dict.fromkeys(LANGS))


class Scale:
    """Every size derived from the fraction, shared by all workers."""

    def __init__(self, fraction, seed, line_kb, article_kb, relational_share):
        self.seed = seed
        self.relational_share = relational_share
        self.n_items = max(32 * 16, round(FULL_ITEMS * fraction))
        self.n_items -= self.n_items % 16
        self.n_props = max(len(REL_PIDS) + 40, round(FULL_PROPS * fraction))
        self.n_enwiki = self.n_items // 16
        self.n_countries = min(200, max(8, self.n_enwiki // 30))
        self.line_bytes = int(line_kb * 1024)
        self.article_bytes = int(article_kb * 1024)


def qid(i):
    return f"Q{BASE + i}"


def words(i):
    """Two pseudo-words from the index, through a bijection of [0, 2^30) so neighbours differ."""
    i = (i * 0x2545F491 + 0x1B873593) % (1 << 30)
    d = []
    for _ in range(6):
        d.append(i % 32)
        i //= 32
    w1 = SYL[d[0]] + SYL[d[1]] + SYL[d[2]]
    w2 = SYL[d[3]] + SYL[d[4]] + SYL[d[5]]
    return w1, w2


def label(i):
    """The English label of item i (None for the items without one)."""
    k = i % 16
    w1, w2 = words(i)
    if k == 0 or 7 <= k <= 9:
        return f"{w1.capitalize()} {w2.capitalize()}"
    if 1 <= k <= 6:
        return f"Notes on the {w1} {w2} effect"
    return f"{w1.capitalize()} {w2}" if (i * 2654435761) % 100 < 64 else None


def alias1(i):
    """The reversed name with a final "n": 6+7 letters, so never another item's label."""
    w1, w2 = words(i)
    return f"{w2.capitalize()} {w1.capitalize()}n"


def rng_for(scale, i, salt=0):
    return random.Random((scale.seed << 44) ^ (salt << 40) ^ i)


def zipf_enwiki(r, scale):
    """An enwiki item index, log-uniform over rank (Zipf s=1), skipping the country block."""
    j = int(scale.n_enwiki ** r.random()) - 1
    return 16 * min(j, scale.n_enwiki - 1)


def country(r, scale):
    return 16 * int(scale.n_countries * r.random() ** 1.5)


def claims(scale, i):
    """Item-valued statements of item i: (property, target index or class qid str, rank, snaktype)."""
    r = rng_for(scale, i, 1)
    k = i % 16
    out = []
    if k == 0:
        j = i // 16
        cls = 6256 if j < scale.n_countries else r.choice(ENWIKI_CLASSES)
        out.append(("P31", f"Q{cls}", "normal", "value"))
        if j >= scale.n_countries:
            p = r.choice(COUNTRY_PIDS)[0]
            out.append((p, country(r, scale), "preferred" if r.random() < 0.1 else "normal", "value"))
        for _ in range(r.randint(4, 12)):
            p = r.choice(REL_PIDS)
            t = zipf_enwiki(r, scale) if r.random() < 0.6 else 16 * r.randrange(scale.n_enwiki)
            if t == i:
                continue
            u = r.random()
            rank = "deprecated" if u < 0.05 else "preferred" if u < 0.15 else "normal"
            out.append((p, t, rank, "value"))
        if r.random() < 0.3:
            out.append((r.choice(REL_PIDS), None, "normal", r.choice(["somevalue", "novalue"])))
    elif k <= 6:
        out.append(("P31", "Q13442814", "normal", "value"))
        n_papers = scale.n_items // 16 * 6
        for _ in range(r.randint(2, 14)):
            t = r.randrange(n_papers)
            t = 16 * (t // 6) + 1 + t % 6
            out.append(("P2860", t, "normal", "value"))
        for _ in range(r.randint(1, 4)):
            out.append(("P50", 16 * r.randrange(scale.n_enwiki) + r.choice((7, 8)), "normal", "value"))
        out.append(("P1433", 16 * r.randrange(scale.n_enwiki) + 9, "normal", "value"))
    else:
        out.append(("P31", f"Q{r.choice(OTHER_CLASSES)}", "normal", "value"))
        if r.random() < 0.5:
            out.append((r.choice(COUNTRY_PIDS)[0], country(r, scale), "normal", "value"))
    return out


def target_id(t):
    return t if isinstance(t, str) else qid(t)


def true_claims(scale, i):
    """(property, target index) of the claims a correct pipeline keeps: value snaks to items,
    not deprecated."""
    return {(p, t) for p, t, rank, snak in claims(scale, i)
            if snak == "value" and rank != "deprecated" and isinstance(t, int)}


# ---------------------------------------------------------------------------------------------
# Wikidata lines

def guid(r, q):
    h = "%032X" % r.getrandbits(128)
    return f"{q}${h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def snak_hash(r):
    return "%040x" % r.getrandbits(160)


def item_value(t, r):
    num = int(t[1:])
    if r.random() < 0.02:  # old dumps: numeric-id only
        return f'{{"entity-type":"item","numeric-id":{num}}}'
    return f'{{"entity-type":"item","numeric-id":{num},"id":"{t}"}}'


def reference(r):
    if r.random() < 0.5:
        return (f'{{"hash":"{snak_hash(r)}","snaks":{{"P143":[{{"snaktype":"value","property":"P143",'
                f'"datavalue":{{"value":{{"entity-type":"item","numeric-id":328,"id":"Q328"}},'
                f'"type":"wikibase-entityid"}},"datatype":"wikibase-item"}}]}},"snaks-order":["P143"]}}')
    return (f'{{"hash":"{snak_hash(r)}","snaks":{{"P248":[{{"snaktype":"value","property":"P248",'
            f'"datavalue":{{"value":{{"entity-type":"item","numeric-id":36578,"id":"Q36578"}},'
            f'"type":"wikibase-entityid"}},"datatype":"wikibase-item"}}],"P813":[{{"snaktype":"value",'
            f'"property":"P813","datavalue":{{"value":{{"time":"+2024-0{r.randint(1, 9)}-1{r.randint(0, 9)}T00:00:00Z",'
            f'"timezone":0,"before":0,"after":0,"precision":11,"calendarmodel":'
            f'"http://www.wikidata.org/entity/Q1985727"}},"type":"time"}},"datatype":"time"}}]}},'
            f'"snaks-order":["P248","P813"]}}')


def item_statement(q, p, t, rank, snak, r, compact=False):
    if snak != "value":
        main = f'{{"snaktype":"{snak}","property":"{p}","hash":"{snak_hash(r)}","datatype":"wikibase-item"}}'
    else:
        main = (f'{{"snaktype":"value","property":"{p}","datavalue":{{"value":{item_value(target_id(t), r)},'
                f'"type":"wikibase-entityid"}},"datatype":"wikibase-item"}}')
    if compact:
        return f'{{"mainsnak":{main},"type":"statement","id":"{q}${r.getrandbits(32):08X}","rank":"{rank}"}}'
    extra = ""
    if r.random() < 0.15:  # an item-valued qualifier (never a claim of its own)
        extra = (f',"qualifiers":{{"P642":[{{"snaktype":"value","property":"P642","hash":"{snak_hash(r)}",'
                 f'"datavalue":{{"value":{item_value(qid(16 * r.randrange(64)), r)},'
                 f'"type":"wikibase-entityid"}},"datatype":"wikibase-item"}}]}},"qualifiers-order":["P642"]')
    refs = f',"references":[{reference(r)}]' if r.random() < 0.7 else ""
    return f'{{"mainsnak":{main},"type":"statement"{extra},"id":"{guid(r, q)}","rank":"{rank}"{refs}}}'


def other_statement(q, p, r, name):
    kind = r.randrange(5)
    if kind == 0:
        dv = f'{{"value":"{r.getrandbits(40)}","type":"string"}}'
        dt = "external-id"
    elif kind == 1:
        dv = f'{{"value":"https://www.example.org/{name.replace(" ", "_")}/{r.getrandbits(24)}","type":"string"}}'
        dt = "url"
    elif kind == 2:
        dv = (f'{{"value":{{"time":"+{r.randint(1800, 2024)}-00-00T00:00:00Z","timezone":0,"before":0,'
              f'"after":0,"precision":9,"calendarmodel":"http://www.wikidata.org/entity/Q1985727"}},"type":"time"}}')
        dt = "time"
    elif kind == 3:
        dv = f'{{"value":{{"amount":"+{r.getrandbits(20)}","unit":"1"}},"type":"quantity"}}'
        dt = "quantity"
    else:
        dv = f'{{"value":{{"text":{json.dumps(name)},"language":"en"}},"type":"monolingualtext"}}'
        dt = "monolingualtext"
    refs = f',"references":[{reference(r)}]' if r.random() < 0.5 else ""
    return (f'{{"mainsnak":{{"snaktype":"value","property":"{p}","datavalue":{dv},"datatype":"{dt}"}},'
            f'"type":"statement","id":"{guid(r, q)}","rank":"normal"{refs}}}')


def group_claims(stmts):
    """{"P31":[...],...} from (property, json) in first-seen property order."""
    by = {}
    for p, s in stmts:
        by.setdefault(p, []).append(s)
    return "{" + ",".join(f'"{p}":[{",".join(v)}]' for p, v in by.items()) + "}"


DESC = {"de": "Eintrag", "fr": "élément", "es": "elemento", "it": "voce", "nl": "item", "pl": "element",
        "pt": "item", "sv": "objekt", "ru": "элемент", "ja": "項目", "zh": "条目", "uk": "елемент"}


def entity_line(scale, i, r, compact):
    q = qid(i)
    k = i % 16
    lab = label(i)
    stmts = [(p, item_statement(q, p, t, rank, snak, r, compact)) for p, t, rank, snak in claims(scale, i)
             if not compact or p == "P31"]  # compact: what `link` reads (names, title, type)
    aliases = []
    if k == 0:
        w1, w2 = words(i)
        aliases = [alias1(i)] + ([f"{w1.capitalize()}-{w2.capitalize()}"] if r.random() < 0.8 else [])
    elif k >= 7 and r.random() < 0.1:
        aliases = [alias1(i)]
    parts = [f'{{"type":"item","id":"{q}"']
    if compact:
        parts.append(',"labels":{' + (f'"en":{{"language":"en","value":{json.dumps(lab)}}}' if lab else "") + "}")
        parts.append(',"aliases":{' + ('"en":[' + ",".join(f'{{"language":"en","value":"{a}"}}' for a in aliases) + "]"
                                       if aliases else "") + "}")
        parts.append(',"claims":' + group_claims(stmts))
        if k == 0:
            parts.append(f',"sitelinks":{{"enwiki":{{"site":"enwiki","title":{json.dumps(lab)},"badges":[]}}}}')
        else:
            parts.append(',"sitelinks":{}')
        return "".join(parts) + "}"
    n_other = 15 if k == 0 else 8 if k <= 6 else 7
    for _ in range(r.randint(n_other // 2, n_other * 3 // 2)):
        p = r.choice(EXT_PROPS)
        stmts.append((p, other_statement(q, p, r, lab or q)))
    claims_json = group_claims(stmts)
    weight = 4.0 if k == 0 else 0.8 if k <= 6 else 0.9
    target = int(scale.line_bytes * weight / 1.056)
    # Terms and sitelinks in other languages fill the line up to its target size, as in the dump.
    budget = target - len(claims_json) - 200
    name = lab or q
    labels = [f'"en":{{"language":"en","value":{json.dumps(lab)}}}'] if lab else []
    kind = "article" if k == 0 else "paper" if k <= 6 else "person" if k <= 8 else "venue" if k == 9 else "thing"
    descs = [f'"en":{{"language":"en","value":"item of the scale benchmark ({kind})"}}']
    sitelinks = [f'"enwiki":{{"site":"enwiki","title":{json.dumps(lab)},"badges":[]}}'] if k == 0 else []
    alias_parts = [f'"en":[' + ",".join(f'{{"language":"en","value":"{a}"}}' for a in aliases) + "]"] if aliases else []
    langs = LANGS[:]
    r.shuffle(langs)
    li = 0
    while budget > 0 and li < len(langs):
        lang = langs[li]
        li += 1
        v = name if r.random() < 0.7 else name[::-1].capitalize()
        s = f'"{lang}":{{"language":"{lang}","value":{json.dumps(v, ensure_ascii=False)}}}'
        labels.append(s)
        budget -= len(s)
        d = f'"{lang}":{{"language":"{lang}","value":"{DESC.get(lang, "item")} ({kind})"}}'
        descs.append(d)
        budget -= len(d)
        if k == 0 or r.random() < 0.1:
            sl = f'"{lang}wiki":{{"site":"{lang}wiki","title":{json.dumps(v, ensure_ascii=False)},"badges":[]}}'
            sitelinks.append(sl)
            budget -= len(sl)
        if r.random() < 0.3:
            a = f'"{lang}":[{{"language":"{lang}","value":"{v} ({lang})"}}]'
            alias_parts.append(a)
            budget -= len(a)
    parts.append(',"labels":{' + ",".join(labels) + "}")
    parts.append(',"descriptions":{' + ",".join(descs) + "}")
    parts.append(',"aliases":' + ("{" + ",".join(alias_parts) + "}" if alias_parts else "[]"))
    parts.append(',"claims":' + claims_json)
    parts.append(',"sitelinks":' + ("{" + ",".join(sitelinks) + "}" if sitelinks else "[]"))
    return "".join(parts) + f',"lastrevid":{2000000000 + i}}}'


def class_lines():
    out = []
    for num, lab, parent in CLASSES:
        claims_json = "{}"
        if parent:
            claims_json = ('{"P279":[{"mainsnak":{"snaktype":"value","property":"P279","datavalue":{"value":'
                           f'{{"entity-type":"item","numeric-id":{parent},"id":"Q{parent}"}},"type":"wikibase-entityid"}},'
                           f'"datatype":"wikibase-item"}},"type":"statement","id":"Q{num}$0","rank":"normal"}}]}}')
        title = lab[0].upper() + lab[1:]
        out.append(f'{{"type":"item","id":"Q{num}","labels":{{"en":{{"language":"en","value":"{lab}"}}}},'
                   f'"descriptions":{{}},"aliases":{{}},"claims":{claims_json},'
                   f'"sitelinks":{{"enwiki":{{"site":"enwiki","title":"{title} (class)","badges":[]}}}}}}')
    return out


def property_lines(scale):
    pid2name = json.load(open(os.path.join(os.path.dirname(__file__), "../../pipeline/data/pid2name.json")))
    used = ["P31", "P279", "P17", "P2860", "P642", "P143", "P248", "P813"] + REL_PIDS + EXT_PROPS
    pids = list(dict.fromkeys(used))
    n = 1
    while len(pids) < scale.n_props:
        if f"P{n}" not in pids:
            pids.append(f"P{n}")
        n += 1
    out = []
    for p in sorted(pids, key=lambda s: int(s[1:])):
        lab = pid2name.get(p, [f"property {p}", ""])[0]
        dt = "external-id" if p in EXT_PROPS else "time" if p == "P813" else "wikibase-item"
        out.append(f'{{"type":"property","datatype":"{dt}","id":"{p}","labels":{{"en":{{"language":"en",'
                   f'"value":{json.dumps(lab)}}}}},"descriptions":{{}},"aliases":{{}},"claims":{{}}}}')
    return out


def wikidata_chunk(args):
    scale, start, compact = args
    lines = []
    for i in range(start, min(start + CHUNK, scale.n_items)):
        if compact and i % 16:
            continue
        lines.append(entity_line(scale, i, rng_for(scale, i, 2), compact))
    text = (",\n".join(lines) + ",\n").encode() if lines else b""
    return text, (gzip.compress(text, 6, mtime=0) if not compact and text else b""), len(lines)


# ---------------------------------------------------------------------------------------------
# Wikipedia pages

SITEINFO = None


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def sha1_base36(text):
    n = int.from_bytes(hashlib.sha1(text.encode()).digest(), "big")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, d = divmod(n, 36)
        out = digits[d] + out
    return out.rjust(31, "0")


def page_xml(title, page_id, text, redirect=None, ns=0):
    red = f'\n    <redirect title="{xml_escape(redirect)}" />' if redirect else ""
    return (f"  <page>\n    <title>{xml_escape(title)}</title>\n    <ns>{ns}</ns>\n    <id>{page_id}</id>{red}\n"
            f"    <revision>\n      <id>{1000000000 + page_id}</id>\n      <parentid>{900000000 + page_id}</parentid>\n"
            f"      <timestamp>2025-01-0{page_id % 9 + 1}T12:00:00Z</timestamp>\n      <contributor>\n"
            f"        <username>ScaleBot</username>\n        <id>42</id>\n      </contributor>\n"
            f"      <comment>generated</comment>\n      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
            f'      <text bytes="{len(text.encode())}" xml:space="preserve">{xml_escape(text)}</text>\n'
            f"      <sha1>{sha1_base36(text)}</sha1>\n    </revision>\n  </page>\n")


def redirect_titles(scale, i):
    """Titles of the redirects to article i: its reversed-name alias always, '(topic)' for half."""
    out = [alias1(i)]
    if rng_for(scale, i, 3).random() < 0.5:
        out.append(f"{label(i)} (topic)")
    return out


def fill(r, n):
    return " ".join(r.choice(FILLER) for _ in range(n))


def anchor(r, scale, t):
    """Wikitext linking to item t and the surface it shows."""
    lab = label(t)
    u = r.random()
    if u < 0.55:
        return f"[[{lab}]]", lab
    if u < 0.65:
        red = redirect_titles(scale, t)[0]
        return f"[[{red}]]", red
    if u < 0.8:
        return f"[[{lab}|{alias1(t)}]]", alias1(t)
    if u < 0.9:
        return f"[[{lab.replace(' ', '_')}|{lab}]]", lab
    return f"[[{lab}#History|{lab}]]", lab


def name_mention(r, t):
    """An unanchored mention of item t by its label or an alias."""
    return (label(t) if r.random() < 0.7 else alias1(t))


def cite(r, title):
    kind = r.choice(["web", "book", "news", "journal"])
    return (f"<ref>{{{{cite {kind} |url=https://www.example.org/{title.replace(' ', '_')}/{r.getrandbits(20)} "
            f"|title={r.choice(['Annual report', 'Archive entry', 'Notes', 'History'])} of the {fill(r, 2)} "
            f"|publisher=Example Press |date={r.randint(1, 28)} May {r.randint(1950, 2024)} "
            f"|access-date=1 June 2025 |last={r.choice(['Smith', 'Novak', 'Garcia', 'Chen'])} |first=J.}}}}</ref>")


def article(scale, i, claims_cache):
    """(wikitext, gold rows [(sentence text, head, tail, property, head anchored, tail anchored)])."""
    r = rng_for(scale, i, 4)
    title = label(i)
    text_parts = ["{{Short description|Item of the scale benchmark}}\n{{Use dmy dates|date=May 2025}}\n"]
    # Infobox: links here are not prose.
    ib = [f"{{{{Infobox thing\n| name = {title}\n| image = {title}.jpg"]
    for p, t in sorted(true_claims(scale, i))[:4]:
        if t % 16 == 0:
            ib.append(f"| {p.lower()} = [[{label(t)}]]")
    ib.append(f"| established = {{{{Start date|{r.randint(1800, 2020)}|04|13}}}}\n}}}}\n")
    text_parts.append("\n".join(ib))
    sentences = []  # (wikitext, clean text, [(item, anchored)])
    rels = [(p, t) for p, t in sorted(true_claims(scale, i)) if t % 16 == 0 and t != i]
    r.shuffle(rels)
    # Sentence 0: the bold subject.
    f1, f2 = fill(r, 6), fill(r, 4)
    sentences.append((f"'''{title}''' is a {f1} {f2}.", f"{title} is a {f1} {f2}.", [(i, False)]))
    n_sent = r.randint(12, 24)
    for s in range(n_sent):
        u = r.random()
        if rels and u < scale.relational_share:
            p, t = rels.pop()
            words_p = dict(RELS + COUNTRY_PIDS).get(p, "is related to")
            subj = name_mention(r, i)
            if r.random() < 0.75:
                wt, surf = anchor(r, scale, t)
                ments = [(i, False), (t, True)]
            else:
                wt = surf = name_mention(r, t)
                ments = [(i, False), (t, False)]
            tail = fill(r, r.randint(3, 9))
            sentences.append((f"{subj} {words_p} {wt} {tail}.", f"{subj} {words_p} {surf} {tail}.", ments))
        elif u < scale.relational_share * 4 / 3:
            # Two other items that hold a claim, both anchored.
            a = zipf_enwiki(r, scale)
            tc = [t for p, t in sorted(true_claims(scale, a)) if t % 16 == 0 and t not in (a, i)]
            if not tc:
                continue
            b = r.choice(tc)
            wa, sa = anchor(r, scale, a)
            wb, sb = anchor(r, scale, b)
            f1, f2 = fill(r, r.randint(2, 6)), fill(r, r.randint(2, 6))
            sentences.append((f"In {f1} {wa} and {wb} {f2}.", f"In {f1} {sa} and {sb} {f2}.", [(a, True), (b, True)]))
        else:
            a = zipf_enwiki(r, scale)
            wa, sa = anchor(r, scale, a)
            f1, f2 = fill(r, r.randint(3, 10)), fill(r, r.randint(3, 10))
            ments = [(a, True)]
            if r.random() < 0.3:
                b = 16 * r.randrange(scale.n_enwiki)
                nb = name_mention(r, b)
                ments.append((b, False))
                f3 = fill(r, 3)
                sentences.append((f"The {f1} {wa} {f2} near {nb} {f3}.", f"The {f1} {sa} {f2} near {nb} {f3}.", ments))
            else:
                sentences.append((f"The {f1} {wa} {f2}.", f"The {f1} {sa} {f2}.", ments))
    # Gold: every ordered pair of distinct mentioned items with a claim.
    gold = []
    for _, clean, ments in sentences:
        anchored = {}
        for m, a in ments:
            anchored[m] = anchored.get(m, False) or a
        for h in anchored:
            if h not in claims_cache:
                claims_cache[h] = true_claims(scale, h)
            for t in anchored:
                if t == h:
                    continue
                for p, tt in sorted(claims_cache[h]):
                    if tt == t:
                        gold.append((clean, qid(h), qid(t), p, int(anchored[h]), int(anchored[t])))
    # Lay the sentences out in paragraphs with refs, headings, a file, a table and a list.
    body = []
    heads = ["History", "Geography", "Early life", "Career", "Legacy", "Description"]
    for si, (wt, _, _) in enumerate(sentences):
        body.append(wt + (cite(r, title) if r.random() < 0.5 else ""))
        if si % 4 == 3:
            body.append("\n\n")
            if r.random() < 0.4:
                body.append(f"== {r.choice(heads)} ==\n")
        else:
            body.append(" ")
        if si == 5:
            c = zipf_enwiki(r, scale)
            body.append(f"\n[[File:{title} view.jpg|thumb|A view of the {fill(r, 2)} near [[{label(c)}]]]]\n")
        if si == 9:
            c = zipf_enwiki(r, scale)
            body.append(f'\n{{| class="wikitable"\n|-\n! Year !! Place\n|-\n| {r.randint(1900, 2020)} || [[{label(c)}]]\n|}}\n')
    text_parts.append("".join(body))
    text_parts.append("\n\n== See also ==\n")
    for _ in range(3):
        text_parts.append(f"* [[{label(zipf_enwiki(r, scale))}]]\n")
    text_parts.append("\n== References ==\n{{Reflist}}\n\n== External links ==\n"
                      f"* [https://www.example.org/{title.replace(' ', '_')} Official website]\n")
    # A navbox fills the article to its size: links inside templates are not prose.
    size = sum(len(p) for p in text_parts)
    target = int(scale.article_bytes * (0.5 + r.random()))
    if size < target:
        nav = [f"\n{{{{Navbox\n| name = {title} navigation\n| title = {title}"]
        k = 1
        while size < target:
            line = f"| list{k} = [[{label(zipf_enwiki(r, scale))}]] &middot; [[{label(zipf_enwiki(r, scale))}]]"
            nav.append(line)
            size += len(line) + 1
            k += 1
        nav.append("}}")
        text_parts.append("\n".join(nav))
    text_parts.append(f"\n{{{{Authority control}}}}\n\n[[Category:Scale benchmark items]]\n"
                      f"[[Category:{r.choice(heads)} of {title}]]")
    return "".join(text_parts), gold


def pages_for(scale, j, claims_cache):
    """The pages of enwiki article j: (page id, title, xml) for the article and its redirects."""
    i = 16 * j
    text, gold = article(scale, i, claims_cache)
    pid = 10 + 3 * j
    pages = [(pid, label(i), page_xml(label(i), pid, text))]
    for n, red in enumerate(redirect_titles(scale, i)):
        pages.append((pid + 1 + n, red, page_xml(red, pid + 1 + n, f"#REDIRECT [[{label(i)}]]\n{{{{R from alternative name}}}}", label(i))))
    return pages, [(label(i),) + g for g in gold]


def wikipedia_chunk(args):
    scale, start, n = args
    claims_cache = {}
    streams = []  # (compressed bytes, [(page id, title)], raw bytes)
    gold = []
    cur, cur_pages = [], []
    for j in range(start, min(start + n, scale.n_enwiki)):
        pages, g = pages_for(scale, j, claims_cache)
        gold.extend(g)
        for pid, title, xml in pages:
            cur.append(xml)
            cur_pages.append((pid, title))
            if len(cur_pages) == PAGES_PER_STREAM:
                raw = "".join(cur).encode()
                streams.append((bz2.compress(raw, 9), cur_pages, len(raw)))
                cur, cur_pages = [], []
    if cur_pages:
        raw = "".join(cur).encode()
        streams.append((bz2.compress(raw, 9), cur_pages, len(raw)))
    return streams, gold


def siteinfo_header():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "../../tests/fixtures/e2e_wiki80/pages-articles.xml"), encoding="utf-8") as f:
        head = f.read().split("  <page>", 1)[0]
    return head


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fraction", type=float, required=True, help="fraction of today's full dumps (e.g. 0.001)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20251129)
    ap.add_argument("--line-kb", type=float, default=16.0, help="average Wikidata line size in KB (real: ~16)")
    ap.add_argument("--article-kb", type=float, default=15.0, help="average article wikitext in KB (real: ~15)")
    ap.add_argument("--relational-share", type=float, default=0.005,
                    help="share of sentences written to state a claim of the page's item (another third "
                         "as many state a claim between two other items); 0.005 gives about the paper's "
                         "867,278 rows from ~135M sentences at F=1")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--kb-only", action="store_true",
                    help="only the enwiki items, compact lines (en label/aliases, enwiki sitelink, P31): "
                         "what the link stage's knowledge base reads")
    ap.add_argument("--no-gz", action="store_true", help="skip wikidata.json.gz")
    a = ap.parse_args()
    scale = Scale(a.fraction, a.seed, a.line_kb, a.article_kb, a.relational_share)
    os.makedirs(a.out, exist_ok=True)
    stats = {"fraction": a.fraction, "seed": a.seed, "line_kb": a.line_kb, "article_kb": a.article_kb,
             "relational_share": a.relational_share,
             "items": scale.n_items + len(CLASSES), "properties": scale.n_props,
             "enwiki_items": scale.n_enwiki + len(CLASSES), "countries": scale.n_countries, "kb_only": a.kb_only}
    pool = mp.Pool(max(1, a.workers))
    # Wikidata
    tmp = os.path.join(a.out, "wikidata.json.tmp")
    gz_tmp = tmp + ".gz"
    entities = 0
    with open(tmp, "wb") as f, open(gz_tmp, "wb") as gzf:
        f.write(b"[\n")
        write_gz = not (a.kb_only or a.no_gz)
        if write_gz:
            gzf.write(gzip.compress(b"[\n", 6, mtime=0))
        for text, member, n in pool.imap(wikidata_chunk, [(scale, s, a.kb_only) for s in range(0, scale.n_items, CHUNK)], 1):
            f.write(text)
            if write_gz:
                gzf.write(member)
            entities += n
        tail = (",\n".join(class_lines() + property_lines(scale)) + "\n]\n").encode()
        f.write(tail)
        if write_gz:
            gzf.write(gzip.compress(tail, 6, mtime=0))
    os.replace(tmp, os.path.join(a.out, "wikidata.json"))
    if not (a.kb_only or a.no_gz):
        os.replace(gz_tmp, os.path.join(a.out, "wikidata.json.gz"))
    else:
        os.remove(gz_tmp)
    stats["wikidata_lines"] = entities + len(CLASSES) + scale.n_props
    stats["wikidata_bytes"] = os.path.getsize(os.path.join(a.out, "wikidata.json"))
    if a.kb_only:
        json.dump(stats, open(os.path.join(a.out, "stats.json"), "w"), indent=1)
        print(json.dumps(stats))
        return
    # Wikipedia
    dump = os.path.join(a.out, "pages-articles-multistream.xml.bz2")
    index = os.path.join(a.out, "pages-articles-multistream-index.txt.bz2")
    n_per = 1000
    pages = redirects = xml_bytes = n_streams = 0
    with open(dump + ".tmp", "wb") as f, open(os.path.join(a.out, "gold.tsv.tmp"), "w", encoding="utf-8") as g:
        idx = bz2.BZ2Compressor(9)
        idx_out = open(index + ".tmp", "wb")
        head = siteinfo_header().encode()
        f.write(bz2.compress(head, 9))
        xml_bytes += len(head)
        n_streams += 1
        g.write("page_title\tsentence_text\thead_qid\ttail_qid\tproperty\thead_anchored\ttail_anchored\n")
        for streams, gold in pool.imap(wikipedia_chunk, [(scale, s, n_per) for s in range(0, scale.n_enwiki, n_per)], 1):
            for comp, plist, raw in streams:
                off = f.tell()
                f.write(comp)
                xml_bytes += raw
                n_streams += 1
                idx_out.write(idx.compress("".join(f"{off}:{pid}:{t}\n" for pid, t in plist).encode()))
                pages += len(plist)
            for row in gold:
                g.write("\t".join(str(x) for x in row) + "\n")
            stats["gold_rows"] = stats.get("gold_rows", 0) + len(gold)
        f.write(bz2.compress(b"</mediawiki>\n", 9))
        xml_bytes += len(b"</mediawiki>\n")
        n_streams += 1
        idx_out.write(idx.flush())
        idx_out.close()
    redirects = pages - scale.n_enwiki
    os.replace(dump + ".tmp", dump)
    os.replace(index + ".tmp", index)
    os.replace(os.path.join(a.out, "gold.tsv.tmp"), os.path.join(a.out, "gold.tsv"))
    pool.close()
    stats.update({"articles": scale.n_enwiki, "redirects": redirects, "pages": pages, "xml_bytes": xml_bytes,
                  "bz2_streams": n_streams, "wikipedia_bz2_bytes": os.path.getsize(dump)})
    if not a.no_gz:
        stats["wikidata_gz_bytes"] = os.path.getsize(os.path.join(a.out, "wikidata.json.gz"))
    json.dump(stats, open(os.path.join(a.out, "stats.json"), "w"), indent=1)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
