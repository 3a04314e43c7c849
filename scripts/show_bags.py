#!/usr/bin/env python3
"""Shows the relation bags of a dataset directory with DuckDB (the query is printed too).

usage: show_bags.py [DATASET_DIR]   (default artifacts/dataset)
"""
import sys

import duckdb

d = sys.argv[1] if len(sys.argv) > 1 else "artifacts/dataset"
sql = f"""SELECT relation, r.label, count(*) AS sentences, count(DISTINCT (head.qid, tail.qid)) AS pairs
FROM '{d}/relation_instances.parquet' JOIN '{d}/relations.parquet' r USING (relation)
GROUP BY relation, r.label ORDER BY sentences DESC, relation"""
print(sql)
duckdb.sql(sql).show(max_rows=20)
