//! Prepared statements: SQL text parsed once, each query in it bound to a
//! plan once, then run any number of times with different parameters.
//!
//! Queries, and INSERT / UPDATE / DELETE on tables, are bound once (with
//! their access paths chosen). A bound statement holds resolved schema
//! positions, so it is bound again when the connection's schema changed
//! since (any DDL, or a rollback that undid some). Writes through a view
//! and DDL are parsed once and bound as they run, against the schema of the
//! moment; so are the statements of trigger programs.

use crate::ast::Statement;
use crate::bind::Binder;
use crate::conn::{Connection, StatementResult};
use crate::dml::{self, WritePlan};
use crate::error::Result;
use crate::exec::stream::RowStream;
use crate::parse::{ParsedStatement, parse_sql};
use crate::plan::QueryPlan;
use crate::value::Value;
use std::sync::Arc;

/// SQL text ready to run: see [`Connection::prepare`].
#[derive(Debug, Clone)]
pub struct Prepared {
    sql: String,
    statements: Vec<ParsedStatement>,
    /// Each statement's bound form, if it has one, and the schema
    /// generation it was bound against.
    plans: Vec<Option<(Bound, u64)>>,
}

/// A statement bound to the schema.
#[derive(Clone)]
enum Bound {
    Query(Arc<QueryPlan>),
    Write(Arc<WritePlan>),
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::Query(q) => f.debug_tuple("Query").field(q).finish(),
            Bound::Write(_) => f.write_str("Write"),
        }
    }
}

impl Prepared {
    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// How many statements the text holds.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }
}

impl Connection {
    /// Parses `sql` (one or more statements) and binds its queries, ready
    /// to run with [`Connection::run_prepared`].
    ///
    /// ```
    /// # use dosql_sql::{Connection, Value};
    /// let mut c = Connection::open_in_memory()?;
    /// c.execute("CREATE TABLE t(a)")?;
    /// let mut ins = c.prepare("INSERT INTO t VALUES(?)")?;
    /// for i in 0..3 {
    ///     c.run_prepared(&mut ins, &[Value::Integer(i)])?;
    /// }
    /// let mut q = c.prepare("SELECT count(*) FROM t WHERE a >= ?")?;
    /// let r = c.run_prepared(&mut q, &[Value::Integer(1)])?;
    /// assert_eq!(r[0].rows, vec![vec![Value::Integer(2)]]);
    /// # Ok::<(), dosql_sql::Error>(())
    /// ```
    pub fn prepare(&mut self, sql: &str) -> Result<Prepared> {
        let statements = parse_sql(sql)?;
        self.refresh_schema()?;
        let mut p = Prepared { sql: sql.to_string(), plans: vec![None; statements.len()], statements };
        // Bind queries now where the schema allows; a query naming a table
        // an earlier statement of the text creates is bound when it runs.
        // The first statement has nothing before it to change the schema,
        // so its errors are reported now, as SQLite's prepare does.
        for i in 0..p.statements.len() {
            match self.bind(&p.statements[i].statement) {
                Ok(Some(b)) => p.plans[i] = Some((b, self.schema_generation)),
                Ok(None) => {}
                Err(e) if i == 0 => return Err(e),
                Err(_) => {}
            }
        }
        Ok(p)
    }

    /// The bound form of `stmt`, for the statements that have one.
    fn bind(&self, stmt: &Statement) -> Result<Option<Bound>> {
        Ok(match stmt {
            Statement::Select(q) => Some(Bound::Query(Arc::new(Binder::new(self.schema()).bind_select(q)?))),
            other => dml::bind_write(self.schema(), other)?.map(|w| Bound::Write(Arc::new(w))),
        })
    }

    /// Runs every statement of a prepared text with `params`; stops at the
    /// first error.
    pub fn run_prepared(&mut self, p: &mut Prepared, params: &[Value]) -> Result<Vec<StatementResult>> {
        let mut out = Vec::with_capacity(p.statements.len());
        for i in 0..p.statements.len() {
            out.push(self.run_statement(p, i, params)?);
        }
        Ok(out)
    }

    /// Statement `i` of `p`, bound against the current schema (bound again
    /// if the schema changed since), after noticing other connections'
    /// schema changes.
    fn bound(&mut self, p: &mut Prepared, i: usize) -> Result<Option<Bound>> {
        self.refresh_schema()?;
        Ok(match p.plans.get(i) {
            Some(Some((b, generation))) if *generation == self.schema_generation => Some(b.clone()),
            _ => {
                let Some(s) = p.statements.get(i) else { return Ok(None) };
                let b = self.bind(&s.statement)?;
                if let Some(slot) = p.plans.get_mut(i) {
                    *slot = b.clone().map(|b| (b, self.schema_generation));
                }
                b
            }
        })
    }

    fn run_statement(&mut self, p: &mut Prepared, i: usize, params: &[Value]) -> Result<StatementResult> {
        let _running = crate::interrupt::Running::start(&self.interrupt);
        let bound = self.bound(p, i)?;
        let Some(s) = p.statements.get(i) else { return Ok(StatementResult::default()) };
        match bound {
            Some(Bound::Query(plan)) => self.run_plan(&plan, params),
            Some(Bound::Write(plan)) => self.write_statement(&s.statement, &s.sql, params, Some(&plan)),
            None => self.run(&s.statement, &s.sql, params),
        }
    }

    /// Runs every statement of `sql` and gives the rows of the last one as
    /// they are read: scans, joins, subqueries in FROM, GROUP BY and
    /// aggregates, DISTINCT, UNION and sorts (an external merge sort past
    /// a memory budget) read rows from storage only as the next one is
    /// pulled, so a result of any size takes bounded memory (the queries
    /// [`crate::exec::stream`] lists as exceptions run to completion
    /// first). The stream reads the snapshot the query started on, or the
    /// open transaction.
    /// Like [`Connection::execute_with`], it keeps the text prepared.
    ///
    /// ```
    /// # use dosql_sql::{Connection, Value};
    /// let mut c = Connection::open_in_memory()?;
    /// c.execute("CREATE TABLE t(a); INSERT INTO t VALUES(1),(2),(3)")?;
    /// let mut rows = c.query_stream("SELECT a * 10 FROM t WHERE a > ?", &[Value::Integer(1)])?;
    /// assert_eq!(rows.next().transpose()?, Some(vec![Value::Integer(20)]));
    /// assert_eq!(rows.next().transpose()?, Some(vec![Value::Integer(30)]));
    /// assert!(rows.next().is_none());
    /// # Ok::<(), dosql_sql::Error>(())
    /// ```
    pub fn query_stream(&mut self, sql: &str, params: &[Value]) -> Result<RowStream<'_>> {
        let started = self.with_cached(sql, params, |c, p| c.start_stream(p, params))?;
        self.open_stream(started, params)
    }

    /// Runs `f` on `sql` prepared: taken from the statement cache, or
    /// prepared now and kept there afterwards (the most recent
    /// [`crate::conn::STATEMENT_CACHE`] texts). A text that does not parse
    /// runs the statements before the one that fails, as SQLite does, then
    /// reports it.
    pub(crate) fn with_cached<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        f: impl FnOnce(&mut Self, &mut Prepared) -> Result<T>,
    ) -> Result<T> {
        let mut p = match self.cache.iter().position(|c| c.sql() == sql) {
            Some(i) => self.cache.remove(i),
            None => match self.prepare(sql) {
                Ok(p) => p,
                Err(e @ crate::Error::Parse(_)) => {
                    let (good, _) = crate::parse::parse_sql_prefix(sql);
                    for s in good {
                        self.run(&s.statement, &s.sql, params)?;
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            },
        };
        let r = f(self, &mut p);
        self.cache.push(p);
        if self.cache.len() > crate::conn::STATEMENT_CACHE {
            self.cache.remove(0);
        }
        r
    }

    /// [`Connection::query_stream`] for a prepared text.
    ///
    /// ```
    /// # use dosql_sql::{Connection, Value};
    /// let mut c = Connection::open_in_memory()?;
    /// let mut p = c.prepare("SELECT ?1 + 1")?;
    /// let rows: Vec<_> = c.query_prepared(&mut p, &[Value::Integer(41)])?.collect::<Result<_, _>>()?;
    /// assert_eq!(rows, vec![vec![Value::Integer(42)]]);
    /// # Ok::<(), dosql_sql::Error>(())
    /// ```
    pub fn query_prepared(&mut self, p: &mut Prepared, params: &[Value]) -> Result<RowStream<'_>> {
        let r = self.start_stream(p, params)?;
        self.open_stream(r, params)
    }

    fn open_stream(
        &self,
        started: std::result::Result<Arc<QueryPlan>, StatementResult>,
        params: &[Value],
    ) -> Result<RowStream<'_>> {
        match started {
            Ok(plan) => {
                RowStream::open(self.stream_reader(), plan, params, self.stream_clock(), self.interrupt.clone())
            }
            Err(result) => Ok(RowStream::ready(result.columns, result.rows)),
        }
    }

    /// The result column names of a prepared text's last statement, as
    /// bound now (`None` when it is not a query).
    pub fn prepared_columns(&mut self, p: &mut Prepared) -> Result<Option<Vec<String>>> {
        let Some(last) = p.statements.len().checked_sub(1) else { return Ok(None) };
        Ok(match self.bound(p, last) {
            Ok(Some(Bound::Query(plan))) => Some(plan.columns.to_vec()),
            // A query over a table an earlier statement creates binds when it runs.
            _ => None,
        })
    }

    /// Runs the statements of `p` but the last, and the last too unless it
    /// is a query that streams: then its plan.
    fn start_stream(
        &mut self,
        p: &mut Prepared,
        params: &[Value],
    ) -> Result<std::result::Result<Arc<QueryPlan>, StatementResult>> {
        let Some(last) = p.statements.len().checked_sub(1) else { return Ok(Err(StatementResult::default())) };
        for i in 0..last {
            self.run_statement(p, i, params)?;
        }
        match self.bound(p, last)? {
            Some(Bound::Query(plan)) if crate::exec::stream::streamable(&plan) => Ok(Ok(plan)),
            _ => Ok(Err(self.run_statement(p, last, params)?)),
        }
    }
}
