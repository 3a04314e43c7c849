//! The relational work of the stage, in polars: candidate pairs x claims, the same-name /
//! overlap / exclusion filters, the sort into bags, `--max-per-pair`, `--min-bag` and the
//! bag and relation scope tables. Everything here is integer columns (item numbers,
//! property numbers or interned ids, sentence sequence numbers, spans); the text of the rows
//! is attached afterwards, in row order, by [`super::gather`].
use std::path::Path;

use polars::prelude::*;

use super::Stats;

/// The kept rows in dataset order (row_id = position), their bags and relations.
pub struct Plan {
    /// Per row: relation, sentence sequence number, head and tail mention indices in it.
    pub rel: Vec<u32>,
    pub seq: Vec<u64>,
    pub hi: Vec<u32>,
    pub ti: Vec<u32>,
    pub page: Vec<i64>,
    /// Per bag (pair_id = position): relation, head, tail, row range.
    pub bag_rel: Vec<u32>,
    pub bag_h: Vec<u32>,
    pub bag_t: Vec<u32>,
    pub bag_start: Vec<i64>,
    pub bag_end: Vec<i64>,
    /// Per relation, in order: relation, bags, row range.
    pub rel_id: Vec<u32>,
    pub rel_pairs: Vec<i64>,
    pub rel_start: Vec<i64>,
    pub rel_end: Vec<i64>,
}

fn streaming(lf: LazyFrame) -> PolarsResult<DataFrame> {
    lf.collect_with_engine(Engine::Streaming).map(|r| r.unwrap_single())
}

fn u64_at(df: &DataFrame, name: &str) -> PolarsResult<u64> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::UInt64)?;
    Ok(s.u64()?.get(0).unwrap_or(0))
}

fn u32s(df: &DataFrame, name: &str) -> PolarsResult<Vec<u32>> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::UInt32)?;
    Ok(s.u32()?.into_no_null_iter().collect())
}

fn u64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<u64>> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::UInt64)?;
    Ok(s.u64()?.into_no_null_iter().collect())
}

fn i64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    let s = df.column(name)?.as_materialized_series().cast(&DataType::Int64)?;
    Ok(s.i64()?.into_no_null_iter().collect())
}

fn on() -> [Expr; 1] {
    [col("ht")]
}

fn flag_sum(e: Expr, name: &str) -> Expr {
    e.cast(DataType::UInt64).sum().alias(name)
}

/// Joins the candidate pairs (the file [`super::candidates::write`] made) with the claims,
/// counts what each filter drops into `stats`, and returns the rows that survive them.
pub fn join_claims(cands: &Path, claims: DataFrame, stats: &mut Stats) -> PolarsResult<LazyFrame> {
    let path = cands.to_string_lossy().into_owned();
    let scan = || LazyFrame::scan_parquet(PlRefPath::from(path.as_str()), Default::default());
    let claim_pairs = claims.clone().lazy().select(on()).unique(None, UniqueKeepStrategy::Any);
    let inner = || JoinArgs::new(JoinType::Inner);
    // Pair-level counts: pairs with at least one claim, and why some go.
    let pairs = streaming(scan()?.join(claim_pairs, on(), on(), inner()).select([
        len().alias("n"),
        flag_sum(col("same_name"), "same"),
        flag_sum(col("same_name").not().and(col("overlap")), "overlap"),
    ]))?;
    stats.candidate_pairs = u64_at(&pairs, "n")?;
    stats.pairs_dropped_same_name = u64_at(&pairs, "same")?;
    stats.pairs_dropped_overlap = u64_at(&pairs, "overlap")?;
    // Rows: one per (pair, claimed relation).
    let rows = streaming(
        scan()?
            .filter(col("same_name").not().and(col("overlap").not()))
            .join(claims.lazy(), on(), on(), inner())
            .select([
                col("rel"),
                col("h"),
                col("t"),
                col("page"),
                col("sidx"),
                col("hs"),
                col("ts"),
                col("seq"),
                col("hi"),
                col("ti"),
                col("exrel"),
                col("excluded"),
            ]),
    )?;
    let counts = rows.clone().lazy().select([
        len().alias("n"),
        flag_sum(col("exrel"), "exrel"),
        flag_sum(col("exrel").not().and(col("excluded")), "excluded"),
    ]);
    let counts = counts.collect()?;
    stats.rows_before_filters = u64_at(&counts, "n")?;
    stats.rows_dropped_excluded_relation = u64_at(&counts, "exrel")?;
    stats.rows_dropped_excluded_pair_or_tokens = u64_at(&counts, "excluded")?;
    Ok(rows.lazy().filter(col("exrel").not().and(col("excluded").not())))
}

/// Sorts `rows` (columns rel, h, t, page, sidx, hs, ts, seq, hi, ti) into the dataset
/// order: relation, head, tail, page, sentence, head and tail start, then input order;
/// keeps at most `max_per_pair` rows per (relation, head, tail) bag and the relations with
/// at least `min_bag` rows; and derives the bags and relations.
pub fn order_and_cap(
    rows: LazyFrame,
    max_per_pair: usize,
    min_bag: usize,
    stats: &mut Stats,
) -> PolarsResult<Plan> {
    let key = ["rel", "h", "t", "page", "sidx", "hs", "ts", "seq"].map(col);
    let sorted = streaming(
        rows.sort_by_exprs(key, SortMultipleOptions::default().with_maintain_order(true)),
    )?;
    let bag = || [col("rel"), col("h"), col("t")];
    let cap = |n: usize| lit(n.min(u32::MAX as usize) as u32);
    let n0 = sorted.height() as u64;
    let capped = sorted
        .lazy()
        .filter(col("seq").cum_count(false).over(bag())?.lt_eq(cap(max_per_pair)))
        .collect()?;
    stats.rows_dropped_max_per_pair = n0 - capped.height() as u64;
    let n1 = capped.height() as u64;
    let kept = capped
        .lazy()
        .filter(len().over([col("rel")])?.gt_eq(cap(min_bag)))
        .with_row_index("row", None)
        .collect()?;
    stats.rows_dropped_min_bag = n1 - kept.height() as u64;
    stats.rows = kept.height() as u64;
    let bags = kept
        .clone()
        .lazy()
        .group_by_stable(bag())
        .agg([
            col("row").min().cast(DataType::Int64).alias("start"),
            (col("row").max().cast(DataType::Int64) + lit(1i64)).alias("end"),
        ])
        .collect()?;
    let rels = bags
        .clone()
        .lazy()
        .group_by_stable([col("rel")])
        .agg([len().alias("pairs"), col("start").min(), col("end").max()])
        .collect()?;
    Ok(Plan {
        rel: u32s(&kept, "rel")?,
        seq: u64s(&kept, "seq")?,
        hi: u32s(&kept, "hi")?,
        ti: u32s(&kept, "ti")?,
        page: i64s(&kept, "page")?,
        bag_rel: u32s(&bags, "rel")?,
        bag_h: u32s(&bags, "h")?,
        bag_t: u32s(&bags, "t")?,
        bag_start: i64s(&bags, "start")?,
        bag_end: i64s(&bags, "end")?,
        rel_id: u32s(&rels, "rel")?,
        rel_pairs: i64s(&rels, "pairs")?,
        rel_start: i64s(&rels, "start")?,
        rel_end: i64s(&rels, "end")?,
    })
}
