//! Binding recursive common table expressions.
//!
//! A CTE whose query names itself is recursive (the `RECURSIVE` keyword
//! is optional, as in SQLite). Its compound parts split into the initial
//! SELECTs, which must not name it, and the recursive SELECTs after them,
//! joined by UNION or UNION ALL, each naming it exactly once in its own
//! FROM clause (not in a subquery) and not aggregating.

use super::{Binder, ScopeCol};
use crate::ast::{self, CompoundOp, FromItem, SelectBody};
use crate::error::{Result, sql_err};
use crate::plan::{RecursivePlan, Source};
use crate::value::{Affinity, Collation};

/// A recursive CTE whose recursive SELECTs are being bound.
pub(super) struct RecState {
    key: String,
    id: usize,
    names: Vec<String>,
    affinities: Vec<Option<Affinity>>,
    /// The scope depth of a reference in a recursive SELECT's own FROM.
    depth: usize,
    /// References seen in the current recursive SELECT.
    refs: usize,
}

/// Whether `q` names table `key` in a FROM clause anywhere in it.
pub(super) fn mentions(q: &ast::Select, key: &str) -> bool {
    body_mentions(&q.body, key) || q.compound.iter().any(|(_, b)| body_mentions(b, key))
}

fn body_mentions(b: &SelectBody, key: &str) -> bool {
    match b {
        SelectBody::Select(core) => core.from.as_ref().is_some_and(|f| from_mentions(f, key)),
        SelectBody::Values(_) => false,
    }
}

fn from_mentions(f: &FromItem, key: &str) -> bool {
    match f {
        FromItem::Table { name, .. } => name.eq_ignore_ascii_case(key),
        FromItem::Function { .. } => false,
        FromItem::Subquery { query, .. } => mentions(query, key),
        FromItem::Join { left, right, .. } => from_mentions(left, key) || from_mentions(right, key),
    }
}

fn select_of(q: &ast::Select, body: SelectBody, compound: Vec<(CompoundOp, SelectBody)>) -> ast::Select {
    ast::Select {
        with: q.with.clone(),
        recursive: q.recursive,
        body,
        compound,
        order_by: Vec::new(),
        limit: None,
        offset: None,
    }
}

impl Binder<'_> {
    /// A reference to a recursive CTE from inside its recursive SELECT:
    /// the working table. `None` when `key` is no such CTE.
    pub(super) fn recursive_reference(&mut self, key: &str, name: &str, scope_name: &str) -> Result<Option<Source>> {
        let depth = self.scopes.len();
        let Some(state) = self.recursive.iter_mut().rev().find(|r| r.key == key) else { return Ok(None) };
        if state.depth != depth {
            return sql_err(format!("recursive reference in a subquery: {name}"));
        }
        state.refs += 1;
        if state.refs > 1 {
            return sql_err(format!("multiple references to recursive table: {name}"));
        }
        let cols: Vec<ScopeCol> =
            state.names.iter().zip(&state.affinities).map(|(n, a)| ScopeCol::plain(n, *a, Collation::Binary)).collect();
        let (id, width) = (state.id, state.names.len());
        self.push_table(scope_name.to_string(), cols)?;
        Ok(Some(Source::Working { id, width }))
    }

    /// Binds recursive CTE `cte` (named `key`) as a FROM source.
    pub(super) fn bind_recursive_cte(&mut self, cte: &ast::Cte, key: String, scope_name: String) -> Result<Source> {
        let q = &cte.query;
        let mut parts: Vec<(Option<CompoundOp>, &SelectBody)> = vec![(None, &q.body)];
        parts.extend(q.compound.iter().map(|(op, b)| (Some(*op), b)));
        let circular = || sql_err(format!("circular reference: {}", cte.name));
        let Some(split) = parts.iter().position(|(_, b)| body_mentions(b, &key)) else { return circular() };
        if split == 0
            || parts[split..].iter().any(|(op, _)| !matches!(op, Some(CompoundOp::Union | CompoundOp::UnionAll)))
        {
            return circular();
        }
        let distinct = parts[split..].iter().any(|(op, _)| *op == Some(CompoundOp::Union));
        let initial_q = select_of(
            q,
            parts[0].1.clone(),
            parts[1..split].iter().filter_map(|(op, b)| op.map(|o| (o, (*b).clone()))).collect(),
        );
        self.binding_ctes.push(key.clone());
        let initial = self.bind_select(&initial_q);
        self.binding_ctes.pop();
        let initial = initial?;
        let width = initial.columns.len();
        let names = if cte.columns.is_empty() {
            initial.columns.to_vec()
        } else if cte.columns.len() != width {
            return sql_err(format!("table {} has {width} values for {} columns", cte.name, cte.columns.len()));
        } else {
            cte.columns.clone()
        };
        let id = self.next_recursive_id;
        self.next_recursive_id += 1;
        let mut steps = Vec::new();
        for (_, body) in &parts[split..] {
            self.recursive.push(RecState {
                key: key.clone(),
                id,
                names: names.clone(),
                affinities: initial.affinities.clone(),
                // bind_core pushes the step's own scope before its FROM.
                depth: self.scopes.len() + 1,
                refs: 0,
            });
            let step = self.bind_select(&select_of(q, (*body).clone(), Vec::new()));
            let refs = self.recursive.pop().map_or(0, |s| s.refs);
            let step = step?;
            if refs == 0 {
                return circular();
            }
            if step.first.aggregate {
                return sql_err("recursive aggregate queries not supported");
            }
            if step.columns.len() != width {
                let word = if distinct { "UNION" } else { "UNION ALL" };
                return sql_err(format!(
                    "SELECTs to the left and right of {word} do not have the same number of result columns"
                ));
            }
            steps.push(step);
        }
        let mut plans = vec![&initial];
        plans.extend(&steps);
        let order_by = self.bind_result_order(&q.order_by, &names, &super::collations_of(&plans), &q.body)?;
        self.scopes.push(super::Scope::default());
        let limit = q.limit.as_ref().map(|e| self.bind_expr(e)).transpose();
        let offset = q.offset.as_ref().map(|e| self.bind_expr(e)).transpose();
        self.scopes.pop();
        // A column takes the collation of the leftmost SELECT's expression,
        // as a FROM subquery's columns do.
        let colls = initial.first.result.iter().map(super::expr_collation).chain(std::iter::repeat(Collation::Binary));
        let cols: Vec<ScopeCol> =
            names.iter().zip(&initial.affinities).zip(colls).map(|((n, a), c)| ScopeCol::plain(n, *a, c)).collect();
        let plan = RecursivePlan { id, initial, steps, distinct, order_by, limit: limit?, offset: offset?, width };
        self.push_table(scope_name, cols)?;
        Ok(Source::Recursive(Box::new(plan)))
    }
}
