#!/usr/bin/env python3
"""Scores a dataset built from bench/scale/gen.py's dumps against its gold.tsv, with DuckDB.

usage: score.py GOLD_TSV WIKIPEDIA_DIR DATASET_DIR [--max-per-pair 8] [--min-bag 2]

A row is (page title, sentence text, head, tail, relation). Precision = our rows found in gold /
our rows. Recall counts what the stage's documented filters leave of gold: at most
--max-per-pair sentences per (relation, head, tail) bag, and no relation under --min-bag rows.
Prints one JSON object: rows, gold, expected, correct, precision, recall.
"""
import argparse
import json

import duckdb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gold")
    ap.add_argument("wikipedia")
    ap.add_argument("dataset")
    ap.add_argument("--max-per-pair", type=int, default=8)
    ap.add_argument("--min-bag", type=int, default=2)
    a = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE gold AS SELECT DISTINCT page_title, sentence_text AS text, head_qid AS head,
        tail_qid AS tail, property AS relation
        FROM read_csv('{a.gold}', delim='\t', header=true, quote='', escape='', all_varchar=true)""")
    con.execute(f"""CREATE TABLE ours AS SELECT p.title AS page_title, s.text, s.head.qid AS head,
        s.tail.qid AS tail, s.relation
        FROM '{a.dataset}/relation_instances.parquet' s JOIN '{a.wikipedia}/pages.parquet' p USING (page_id)""")
    rows = con.execute("SELECT count(*) FROM ours").fetchone()[0]
    gold = con.execute("SELECT count(*) FROM gold").fetchone()[0]
    correct = con.execute("SELECT count(*) FROM (SELECT * FROM ours INTERSECT ALL SELECT * FROM gold)").fetchone()[0]
    # What the filters leave: min(bag size, cap) per bag; relations under min_bag dropped.
    expected = con.execute(f"""WITH bags AS (SELECT relation, head, tail, least(count(*), {a.max_per_pair}) AS n
          FROM gold GROUP BY ALL),
        rels AS (SELECT relation, sum(n) AS n FROM bags GROUP BY relation HAVING sum(n) >= {a.min_bag})
        SELECT coalesce(sum(n), 0) FROM rels""").fetchone()[0]
    out = {
        "rows": rows,
        "gold": gold,
        "expected": int(expected),
        "correct": correct,
        "precision": correct / rows if rows else 0.0,
        "recall": min(1.0, correct / expected) if expected else 0.0,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
