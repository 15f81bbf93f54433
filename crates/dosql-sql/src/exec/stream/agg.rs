//! Aggregates of a streamed group computed row by row: [`GroupAcc`].
//!
//! The complete run gathers a group's rows and then computes each
//! aggregate over them (`exec::compute_aggs`); here each row is folded into
//! one accumulator per aggregate as it is pulled, in the same order and
//! with the same arithmetic (integer sums checked, real sums added in row
//! order, `min`/`max` keeping the first extreme under the argument's
//! collation, DISTINCT keyed as the complete run keys it), so a group takes
//! memory for its accumulators, not its rows. The row bare columns read is
//! tracked as `exec::representative` picks it: the first row, or the last
//! one at which a `min(x)` / `max(x)` took a new value.
//!
//! Left out: the JSON aggregates (a group with one runs on gathered rows),
//! and the order of errors when several rows fail (the complete run
//! evaluates one aggregate over every row before the next).

use crate::error::{Error, Result};
use crate::exec::{Ctx, Env, eval, row_key_coll};
use crate::plan::{AggCall, BExpr, CorePlan, SortKey};
use crate::value::{self, Collation, Value};
use std::cmp::Ordering;
use std::collections::HashSet;

/// Whether every aggregate of `core` can be folded row by row.
pub(crate) fn foldable(core: &CorePlan) -> bool {
    core.aggs.iter().all(|a| {
        matches!(a.name.as_str(), "count" | "sum" | "total" | "avg" | "min" | "max" | "group_concat" | "string_agg")
    })
}

/// One aggregate's running state.
enum State {
    /// `count`: rows (`count(*)`) or non-NULL values.
    Count(i64),
    /// `sum` / `total` / `avg`.
    Sum { int_sum: Option<i64>, real_sum: f64, any_real: bool, n: usize },
    /// `min` / `max`: the extreme so far.
    Extreme(Option<Value>),
    /// `group_concat` / `string_agg`: the text so far, and whether any.
    Concat(String, bool),
}

/// One aggregate call and its state.
struct Acc {
    state: State,
    /// DISTINCT: the keys of the argument lists kept, and their collations.
    seen: Option<(HashSet<Vec<u8>>, Vec<Collation>)>,
}

/// The accumulators of one group, and the row bare columns read.
pub(crate) struct GroupAcc {
    accs: Vec<Acc>,
    /// The `min(x)` / `max(x)` calls that pick the bare row: argument,
    /// whether max, collation, best value so far (empty when no bare
    /// column is read).
    extremes: Vec<(BExpr, bool, Collation, Option<Value>)>,
    rep: Option<Vec<Value>>,
}

impl GroupAcc {
    /// Empty accumulators for `core`'s aggregates; `order` is the ORDER BY
    /// over the group's row (it may read bare columns).
    pub(crate) fn new(core: &CorePlan, order: &[SortKey]) -> GroupAcc {
        let accs = core
            .aggs
            .iter()
            .map(|a| Acc {
                state: match a.name.as_str() {
                    "count" => State::Count(0),
                    "min" | "max" => State::Extreme(None),
                    "group_concat" | "string_agg" => State::Concat(String::new(), false),
                    _ => State::Sum { int_sum: Some(0), real_sum: 0.0, any_real: false, n: 0 },
                },
                seen: a.distinct.then(|| (HashSet::new(), a.args.iter().map(crate::bind::expr_collation).collect())),
            })
            .collect();
        let extremes = if crate::exec::reads_bare_row(core, order) {
            core.aggs
                .iter()
                .filter(|a| {
                    matches!(a.name.as_str(), "min" | "max") && a.args.len() == 1 && !a.star && a.filter.is_none()
                })
                .filter_map(|a| {
                    a.args.first().map(|arg| (arg.clone(), a.name == "max", crate::bind::expr_collation(arg), None))
                })
                .collect()
        } else {
            Vec::new()
        };
        GroupAcc { accs, extremes, rep: None }
    }

    /// Folds in the group's next row.
    pub(crate) fn add(&mut self, ctx: &Ctx<'_>, aggs: &[AggCall], row: Vec<Value>) -> Result<()> {
        let env = Env { row: &row, aggs: &[], parent: None };
        for (a, acc) in aggs.iter().zip(&mut self.accs) {
            if let Some(f) = &a.filter
                && value::is_true(&eval(ctx, f, &env)?) != Some(true)
            {
                continue;
            }
            let vals = a.args.iter().map(|e| eval(ctx, e, &env)).collect::<Result<Vec<_>>>()?;
            if let Some((seen, colls)) = &mut acc.seen {
                // NULLs are not counted by a DISTINCT aggregate.
                if matches!(vals.first(), Some(Value::Null)) || !seen.insert(row_key_coll(&vals, colls)) {
                    continue;
                }
            }
            let coll = a.args.first().map_or(Collation::Binary, crate::bind::expr_collation);
            fold(&mut acc.state, &a.name, a.star, vals, coll)?;
        }
        let mut replaced = self.rep.is_none();
        for (arg, max, coll, best) in &mut self.extremes {
            let v = eval(ctx, arg, &env)?;
            if v == Value::Null {
                continue;
            }
            let better = crate::exec::new_extreme(&v, best.as_ref(), *coll, *max);
            if better {
                *best = Some(v);
                replaced = true;
            }
        }
        if replaced {
            self.rep = Some(row);
        }
        Ok(())
    }

    /// The aggregate values and the group's row (`None` when no row came).
    pub(crate) fn finish(self, aggs: &[AggCall]) -> Result<(Vec<Value>, Option<Vec<Value>>)> {
        let vals = self.accs.into_iter().zip(aggs).map(|(acc, a)| finish(acc.state, &a.name)).collect::<Result<_>>()?;
        Ok((vals, self.rep))
    }
}

/// Folds one argument list into `state`, as `exec::aggregate` treats it.
fn fold(state: &mut State, name: &str, star: bool, vals: Vec<Value>, coll: Collation) -> Result<()> {
    let first = vals.first().filter(|v| !matches!(v, Value::Null));
    match state {
        State::Count(n) => {
            if star || vals.is_empty() || first.is_some() {
                *n += 1;
            }
        }
        State::Sum { int_sum, real_sum, any_real, n } => {
            let Some(v) = first else { return Ok(()) };
            *n += 1;
            // Text that does not look numeric counts as a REAL (SQLite).
            match value::numeric_value(v).unwrap_or_else(|| Value::Real(v.to_f64())) {
                Value::Integer(i) => {
                    *real_sum += i as f64;
                    *int_sum = int_sum.and_then(|s| s.checked_add(i));
                    if int_sum.is_none() && name == "sum" && !*any_real {
                        return Err(Error::Runtime("integer overflow".into()));
                    }
                }
                Value::Real(r) => {
                    *any_real = true;
                    *real_sum += r;
                }
                _ => *any_real = true,
            }
        }
        State::Extreme(best) => {
            let Some(v) = first else { return Ok(()) };
            let better = best.as_ref().is_none_or(|b| {
                let o = value::compare(v, b, coll);
                (name == "min" && o == Ordering::Less) || (name == "max" && o == Ordering::Greater)
            });
            if better {
                *best = Some(v.clone());
            }
        }
        State::Concat(s, any) => {
            let Some(x) = first else { return Ok(()) };
            if *any {
                match vals.get(1) {
                    Some(Value::Null) => {}
                    Some(sep) => s.push_str(&sep.to_text()),
                    None => s.push(','),
                }
            }
            *any = true;
            s.push_str(&x.to_text());
        }
    }
    Ok(())
}

/// An aggregate's value from its final state.
fn finish(state: State, name: &str) -> Result<Value> {
    Ok(match state {
        State::Count(n) => Value::Integer(n),
        State::Sum { int_sum, real_sum, any_real, n } => match name {
            "sum" if n == 0 => Value::Null,
            "sum" if !any_real => Value::Integer(int_sum.unwrap_or(0)),
            "sum" | "total" => Value::Real(real_sum),
            "avg" if n == 0 => Value::Null,
            "avg" => Value::Real(real_sum / n as f64),
            other => return Err(Error::Sql(format!("no such function: {other}"))),
        },
        State::Extreme(best) => best.unwrap_or(Value::Null),
        State::Concat(s, any) => {
            if any {
                Value::Text(s)
            } else {
                Value::Null
            }
        }
    })
}
