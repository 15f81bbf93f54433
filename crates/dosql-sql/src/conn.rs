//! A connection: runs SQL text statement by statement with SQLite's
//! transaction rules.
//!
//! Outside `BEGIN`, each statement is its own transaction (autocommit).
//! Inside one, each statement runs under an internal savepoint so a failing
//! statement is undone alone and the transaction stays usable, as SQLite's
//! default ABORT conflict resolution does.

use crate::ast::{AlterAction, ObjectKind, Statement, TriggerTiming};
use crate::bind::Binder;
use crate::dml::{self, Outcome, Run};
use crate::error::{Error, Result, sql_err};
use crate::exec::{Ctx, Reader, Session, run_query};
use crate::parse::parse_sql;
use crate::record::{decode_row, encode_row, key_rowid, rowid_key};
use crate::schema::{AUTOINDEX_ORDER_KEY, Column, META_TREE, SCHEMA_TREE, Schema, Table, lower};
use crate::txn::{Snapshot, TEMP_BIT, Txn, is_temp};
use crate::value::{Affinity, Collation, Value};
use dosql_storage::{Config, Database, Synchronous};
use std::path::Path;

/// The result of one statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatementResult {
    /// Result column names (empty for statements without results).
    pub columns: Vec<String>,
    /// Result rows.
    pub rows: Vec<Vec<Value>>,
    /// Rows inserted, updated or deleted.
    pub changes: u64,
}

/// A connection to a database.
pub struct Connection {
    db: Database,
    /// The private in-memory database of TEMP objects.
    temp: Database,
    schema: Schema,
    txn: Option<Txn>,
    /// Savepoint names opened by SQL, innermost last.
    savepoints: Vec<String>,
    /// Whether the open transaction was started by SAVEPOINT (RELEASE of the
    /// outermost one commits it).
    txn_from_savepoint: bool,
    /// Whether the open transaction changed the schema: only then must
    /// rolling it back (or part of it) reload the schema.
    txn_ddl: bool,
    /// Per-connection settings changed by PRAGMAs.
    settings: Settings,
    /// `last_insert_rowid()`, `changes()`, `total_changes()`.
    session: Session,
    /// Bumped whenever the schema is reloaded: plans bound against an
    /// older schema must be bound again.
    pub(crate) schema_generation: u64,
    /// The stored CREATE statements, parsed, for the next schema reload.
    schema_memo: crate::schema::ParseMemo,
    /// Recently run SQL texts, prepared, most recent last.
    pub(crate) cache: Vec<crate::prepared::Prepared>,
    /// Deferred foreign key violations in the open transaction, and its
    /// value when each savepoint in `savepoints` was opened.
    fk_deferred: i64,
    savepoint_fk: Vec<i64>,
    /// The schema cookie of the schema loaded, and the commit at which it
    /// was last compared with the stored one: other connections' DDL is
    /// noticed at the next statement that starts outside a transaction.
    schema_cookie: i64,
    cookie_checked_at: dosql_storage::Lsn,
    /// Set by [`crate::InterruptHandle::interrupt`] to stop the running
    /// statement (see [`crate::interrupt`]).
    pub(crate) interrupt: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Per-connection settings, as SQLite keeps them per connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// `PRAGMA foreign_keys`: enforce FOREIGN KEY constraints (off by default).
    pub foreign_keys: bool,
    /// The last `PRAGMA cache_size` value set, as given.
    pub cache_size: Option<i64>,
    /// Whether statements may find rows through indexes and rowid lookups
    /// (off: every table is scanned; for testing that plans never change
    /// results).
    pub index_lookups: bool,
    /// `PRAGMA query_only`: statements that would change any database
    /// (TEMP included, as in SQLite) fail.
    pub query_only: bool,
    /// [`Connection::set_read_only`]: the same refusal, but not lifted by
    /// `PRAGMA query_only = OFF` (what a read-only open gives in SQLite).
    pub read_only: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { foreign_keys: false, cache_size: None, index_lookups: true, query_only: false, read_only: false }
    }
}

/// SQLite's message (SQLITE_READONLY) for a change refused by `PRAGMA
/// query_only` or a read-only connection.
pub const READONLY: &str = "attempt to write a readonly database";

const STMT_SAVEPOINT: &str = "\u{0}stmt";

/// The temporary database's `sqlite_temp_schema`.
pub(crate) const TEMP_SCHEMA_TREE: u64 = TEMP_BIT | SCHEMA_TREE;

/// How many recently run SQL texts stay prepared.
pub(crate) const STATEMENT_CACHE: usize = 32;

impl Connection {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Connection> {
        Self::from_database(Database::open(path, Config::default())?)
    }

    /// Opens a private in-memory database.
    pub fn open_in_memory() -> Result<Connection> {
        Self::from_database(Database::open_in_memory(Config::default())?)
    }

    /// Wraps an open storage database, creating the schema table if needed.
    pub fn from_database(db: Database) -> Result<Connection> {
        if !db.begin_read().tree_exists(SCHEMA_TREE) {
            let mut tx = db.begin_write()?;
            tx.create_tree(SCHEMA_TREE)?;
            // A new file numbers its automatic indexes as SQLite does.
            if !tx.tree_exists(META_TREE) {
                tx.create_tree(META_TREE)?;
            }
            tx.put(META_TREE, AUTOINDEX_ORDER_KEY, &encode_row(&[Value::Integer(1)]))?;
            tx.commit()?;
        }
        let temp = Database::open_in_memory(Config { synchronous: Synchronous::Off, ..Config::default() })?;
        {
            let mut tx = temp.begin_write()?;
            tx.create_tree(TEMP_SCHEMA_TREE)?;
            tx.commit()?;
        }
        let mut c = Connection {
            db,
            temp,
            schema: Schema::default(),
            txn: None,
            savepoints: Vec::new(),
            txn_from_savepoint: false,
            txn_ddl: false,
            settings: Settings::default(),
            session: Session::default(),
            schema_generation: 0,
            schema_memo: Default::default(),
            cache: Vec::new(),
            fk_deferred: 0,
            savepoint_fk: Vec::new(),
            schema_cookie: 0,
            cookie_checked_at: 0,
            interrupt: std::sync::Arc::default(),
        };
        c.reload_schema()?;
        Ok(c)
    }

    /// The storage database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    pub(crate) fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Runs `f` in the open transaction, or in one of its own that commits
    /// when `f` succeeds.
    pub(crate) fn with_write<T>(&mut self, f: impl FnOnce(&mut Txn) -> Result<T>) -> Result<T> {
        self.check_writable()?;
        match self.txn.as_mut() {
            Some(tx) => f(tx),
            None => {
                let mut tx = self.begin()?;
                let r = f(&mut tx);
                match r {
                    Ok(v) => {
                        tx.commit()?;
                        Ok(v)
                    }
                    Err(e) => {
                        tx.rollback();
                        Err(e)
                    }
                }
            }
        }
    }

    /// Runs `f` over what this connection sees: its open transaction, or
    /// the latest commit.
    pub(crate) fn with_read<T>(&self, f: impl FnOnce(&dyn Reader) -> Result<T>) -> Result<T> {
        match &self.txn {
            Some(tx) => f(tx),
            None => f(&self.snapshot()),
        }
    }

    /// A write transaction over the main database and the temporary one.
    fn begin(&self) -> Result<Txn> {
        Ok(Txn::new(self.db.begin_write()?, self.temp.clone()))
    }

    /// A snapshot of the latest commit of both databases.
    fn snapshot(&self) -> Snapshot {
        Snapshot { main: self.db.begin_read(), temp: self.temp.begin_read() }
    }

    /// What a streamed query reads: the open transaction or a snapshot.
    pub(crate) fn stream_reader(&self) -> crate::exec::stream::StreamReader<'_> {
        match &self.txn {
            Some(tx) => crate::exec::stream::StreamReader::Txn(tx),
            None => crate::exec::stream::StreamReader::Snapshot(Box::new(self.snapshot())),
        }
    }

    /// The statement time and counters a query starting now sees.
    pub(crate) fn stream_clock(&self) -> (i64, crate::exec::Session) {
        (self.statement_time(), self.session)
    }

    pub(crate) fn settings(&self) -> Settings {
        self.settings
    }

    /// Runs `f` over the schema and the data as this connection sees it:
    /// the open transaction, or a fresh one that is then rolled back.
    pub(crate) fn inspect<R>(&mut self, f: impl FnOnce(&Txn, &Schema) -> Result<R>) -> Result<R> {
        match &self.txn {
            Some(tx) => f(tx, &self.schema),
            None => {
                let tx = self.begin()?;
                let r = f(&tx, &self.schema);
                tx.rollback();
                r
            }
        }
    }

    /// Makes the connection read-only (or writable again): every statement
    /// that would change a database then fails with SQLite's `attempt to
    /// write a readonly database`, until this is called with `false`.
    /// Unlike `PRAGMA query_only`, which it does not show as on, SQL cannot
    /// lift it. (SQLite's read-only open still lets TEMP tables change; this
    /// refuses them too.)
    pub fn set_read_only(&mut self, on: bool) {
        self.settings.read_only = on;
    }

    /// Whether [`Connection::set_read_only`] made the connection read-only.
    pub fn is_read_only(&self) -> bool {
        self.settings.read_only
    }

    /// The error for a change when `PRAGMA query_only` or
    /// [`Connection::set_read_only`] forbids changes.
    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.settings.query_only || self.settings.read_only {
            return Err(Error::Runtime(READONLY.to_string()));
        }
        Ok(())
    }

    pub(crate) fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// Whether a transaction is open (`BEGIN` without `COMMIT`).
    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// Reloads the schema if another connection changed it since this one
    /// loaded it. Inside a transaction nothing can change it: the
    /// transaction holds the write lock from its BEGIN.
    pub(crate) fn refresh_schema(&mut self) -> Result<()> {
        if self.txn.is_some() {
            return Ok(());
        }
        let lsn = self.db.last_lsn();
        if lsn == self.cookie_checked_at {
            return Ok(());
        }
        let snap = self.db.begin_read();
        let cookie = read_schema_cookie(&snap)?;
        self.cookie_checked_at = snap.lsn();
        if cookie != self.schema_cookie {
            self.reload_schema()?;
        }
        Ok(())
    }

    fn reload_schema(&mut self) -> Result<()> {
        // The stored rows of both schemas, and the cookie.
        type Loaded = (Vec<Vec<u8>>, Vec<Vec<u8>>, i64, bool);
        let load = |rd: &dyn Reader| -> Result<Loaded> {
            let read = |tree| -> Result<Vec<Vec<u8>>> {
                rd.scan(tree)?.map(|e| e.map(|(_, v)| v).map_err(Error::from)).collect()
            };
            let legacy = !rd.has_tree(META_TREE) || rd.get(META_TREE, AUTOINDEX_ORDER_KEY)?.is_none();
            Ok((read(SCHEMA_TREE)?, read(TEMP_SCHEMA_TREE)?, read_schema_cookie(rd)?, legacy))
        };
        let (rows, temp_rows, cookie, legacy) = match &self.txn {
            Some(tx) => load(tx)?,
            None => {
                let snap = self.snapshot();
                let lsn = snap.main.lsn();
                let loaded = load(&snap)?;
                self.cookie_checked_at = lsn;
                loaded
            }
        };
        self.schema_cookie = cookie;
        let mut schema = Schema::load_memo(rows.into_iter(), temp_rows.into_iter(), &mut self.schema_memo, legacy)?;
        let text = |n: &str| Column {
            name: n.into(),
            decl_type: "text".into(),
            affinity: Affinity::Text,
            not_null: false,
            default: None,
            default_text: None,
            collation: Collation::Binary,
            primary_key: false,
            not_null_conflict: None,
            generated: None,
        };
        let mut root = text("rootpage");
        root.decl_type = "int".into();
        root.affinity = Affinity::Integer;
        let master = Table {
            name: "sqlite_schema".into(),
            tree: SCHEMA_TREE,
            columns: vec![text("type"), text("name"), text("tbl_name"), root, text("sql")],
            rowid_alias: None,
            checks: Vec::new(),
            check_labels: Vec::new(),
            autoincrement: false,
            primary_key: Vec::new(),
            pk_conflict: None,
            without_rowid: None,
            strict: false,
            foreign_keys: Vec::new(),
            sql: String::new(),
        };
        for (name, tree) in [
            ("sqlite_master", SCHEMA_TREE),
            ("sqlite_temp_schema", TEMP_SCHEMA_TREE),
            ("sqlite_temp_master", TEMP_SCHEMA_TREE),
        ] {
            let mut alias = master.clone();
            alias.name = name.into();
            alias.tree = tree;
            schema.tables.insert(name.into(), alias);
        }
        schema.tables.insert("sqlite_schema".into(), master);
        schema.stats = self.with_read(|rd| Ok(crate::analyze::load(rd, &schema)))?;
        schema.scan_only = !self.settings.index_lookups;
        self.schema = schema;
        self.schema_generation += 1;
        Ok(())
    }

    /// Runs every statement of `sql`; returns one result per statement.
    /// Stops at the first error.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        self.execute_with(sql, &[])
    }

    /// Like [`Connection::execute`], with positional parameter values.
    /// Recently run texts are kept prepared (see [`Connection::prepare`]),
    /// so running the same SQL again skips parsing and query binding.
    pub fn execute_with(&mut self, sql: &str, params: &[Value]) -> Result<Vec<StatementResult>> {
        self.with_cached(sql, params, |c, p| c.run_prepared(p, params))
    }

    /// The result column names of the last statement of `sql`, without
    /// running it.
    pub fn columns_of(&mut self, sql: &str) -> Result<Vec<String>> {
        let mut stmts = parse_sql(sql)?;
        self.refresh_schema()?;
        match stmts.pop().map(|p| p.statement) {
            Some(Statement::Select(q)) => Ok(Binder::new(&self.schema).bind_select(&q)?.columns.to_vec()),
            _ => Ok(Vec::new()),
        }
    }

    /// The plan of the last statement of `sql`, without running it: its
    /// steps in SQLite's words with the table and index of each, the rows
    /// it expects to read, and whether it uses an index (the product
    /// guide's `client.explain`).
    ///
    /// ```
    /// # use dosql_sql::Connection;
    /// let mut c = Connection::open_in_memory()?;
    /// c.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, tenant_id TEXT, name TEXT)")?;
    /// c.execute("CREATE INDEX idx_users_tenant ON users(tenant_id)")?;
    /// let plan = c.explain("SELECT * FROM users WHERE tenant_id = ?")?;
    /// assert!(plan.index_used);
    /// assert_eq!(plan.steps[0].detail, "SEARCH users USING INDEX idx_users_tenant (tenant_id=?)");
    /// assert_eq!(plan.steps[0].using.as_deref(), Some("INDEX idx_users_tenant"));
    /// # Ok::<(), dosql_sql::Error>(())
    /// ```
    pub fn explain(&mut self, sql: &str) -> Result<crate::explain::Explain> {
        let mut stmts = parse_sql(sql)?;
        self.refresh_schema()?;
        let Some(last) = stmts.pop() else {
            return Ok(crate::explain::Explain { steps: Vec::new(), estimated_rows: 0, index_used: false });
        };
        let stmt = match last.statement {
            Statement::Explain { statement, .. } => *statement,
            s => s,
        };
        let schema = &self.schema;
        self.with_read(|rd| crate::explain::explain(schema, &stmt, Some(rd)))
    }

    /// Lets statements use indexes and rowid lookups (the default), or
    /// makes every table a full scan. Results are the same either way; the
    /// switch exists to test exactly that. Prepared statements are bound
    /// again after a change.
    pub fn set_index_lookups(&mut self, on: bool) -> Result<()> {
        if self.settings.index_lookups != on {
            self.settings.index_lookups = on;
            self.reload_schema()?;
        }
        Ok(())
    }

    /// Runs a query and returns its rows.
    pub fn query(&mut self, sql: &str) -> Result<StatementResult> {
        let mut all = self.execute(sql)?;
        all.pop().ok_or_else(|| Error::Sql("no statement".into()))
    }

    /// The time a statement starting now runs at, from the database's
    /// clock (injected through its [`Config`]).
    fn statement_time(&self) -> i64 {
        i64::try_from(self.db.config().clock.now_ms()).unwrap_or(i64::MAX)
    }

    /// An evaluation context for a statement starting now.
    fn ctx<'a>(&self, rd: &'a dyn Reader, params: &'a [Value]) -> Ctx<'a> {
        Ctx::at_instant(rd, params, self.statement_time()).with_session(self.session)
    }

    /// The rowid of the last row a top-level INSERT added to a rowid table
    /// (0 if none), as SQLite's `last_insert_rowid()`.
    pub fn last_insert_rowid(&self) -> i64 {
        self.session.last_insert_rowid
    }

    /// A handle that interrupts this connection's running statement from
    /// another thread, as SQLite's `sqlite3_interrupt()`: the statement
    /// fails with `interrupted` and its changes are undone.
    pub fn interrupt_handle(&self) -> crate::InterruptHandle {
        crate::InterruptHandle(std::sync::Arc::clone(&self.interrupt))
    }

    /// Rows changed by the last completed INSERT, UPDATE or DELETE.
    pub fn changes(&self) -> i64 {
        self.session.changes
    }

    /// Rows changed since the connection opened, including by triggers.
    pub fn total_changes(&self) -> i64 {
        self.session.total_changes
    }

    /// Runs a bound query in the open transaction or a fresh snapshot.
    pub(crate) fn run_plan(&self, plan: &crate::plan::QueryPlan, params: &[Value]) -> Result<StatementResult> {
        // A query changes no table: IN / EXISTS sets stay valid while it runs.
        let sets = crate::exec::semi::SetCache::default();
        let rows = match &self.txn {
            Some(tx) => run_query(&self.ctx(tx, params).with_sets(&sets), plan, None)?,
            None => {
                let r = self.snapshot();
                run_query(&self.ctx(&r, params).with_sets(&sets), plan, None)?
            }
        };
        Ok(StatementResult { columns: plan.columns.to_vec(), rows, changes: 0 })
    }

    pub(crate) fn run(&mut self, stmt: &Statement, text: &str, params: &[Value]) -> Result<StatementResult> {
        match stmt {
            // Every mode takes the write lock at once: IMMEDIATE semantics
            // (the same as EXCLUSIVE in SQLite's WAL mode). A DEFERRED
            // transaction therefore holds off other writers from its BEGIN.
            Statement::Begin(_) => {
                if self.txn.is_some() {
                    return sql_err("cannot start a transaction within a transaction");
                }
                self.txn = Some(self.begin()?);
                self.txn_from_savepoint = false;
                self.txn_ddl = false;
                Ok(StatementResult::default())
            }
            Statement::Commit => match self.txn.take() {
                None => sql_err("cannot commit - no transaction is active"),
                Some(tx) if self.fk_deferred > 0 => {
                    // The transaction stays open to be mended or rolled back.
                    self.txn = Some(tx);
                    Err(Error::Constraint(dml::fkey::FK_FAILED.into()))
                }
                Some(tx) => {
                    self.savepoints.clear();
                    self.savepoint_fk.clear();
                    tx.commit()?;
                    Ok(StatementResult::default())
                }
            },
            Statement::Rollback { savepoint: None } => match self.txn.take() {
                None => sql_err("cannot rollback - no transaction is active"),
                Some(tx) => {
                    self.savepoints.clear();
                    self.savepoint_fk.clear();
                    self.fk_deferred = 0;
                    tx.rollback();
                    if self.txn_ddl {
                        self.reload_schema()?;
                    }
                    Ok(StatementResult::default())
                }
            },
            Statement::Rollback { savepoint: Some(name) } => {
                let Some(tx) = self.txn.as_mut() else {
                    return sql_err(format!("no such savepoint: {name}"));
                };
                tx.rollback_to(name).map_err(|_| Error::Sql(format!("no such savepoint: {name}")))?;
                if let Some(i) = self.savepoints.iter().rposition(|s| s.eq_ignore_ascii_case(name)) {
                    self.savepoints.truncate(i + 1);
                    self.savepoint_fk.truncate(i + 1);
                    if let Some(&v) = self.savepoint_fk.get(i) {
                        self.fk_deferred = v;
                    }
                }
                if self.txn_ddl {
                    self.reload_schema()?;
                }
                Ok(StatementResult::default())
            }
            Statement::Savepoint(name) => {
                if self.txn.is_none() {
                    self.txn = Some(self.begin()?);
                    self.txn_from_savepoint = true;
                    self.txn_ddl = false;
                }
                if let Some(tx) = self.txn.as_mut() {
                    tx.savepoint(name);
                }
                self.savepoints.push(name.clone());
                self.savepoint_fk.push(self.fk_deferred);
                Ok(StatementResult::default())
            }
            Statement::Release(name) => {
                let Some(i) = self.savepoints.iter().rposition(|s| s.eq_ignore_ascii_case(name)) else {
                    return sql_err(format!("no such savepoint: {name}"));
                };
                if i == 0 && self.txn_from_savepoint && self.fk_deferred > 0 {
                    return Err(Error::Constraint(dml::fkey::FK_FAILED.into()));
                }
                if let Some(tx) = self.txn.as_mut() {
                    tx.release(name)?;
                }
                self.savepoints.truncate(i);
                self.savepoint_fk.truncate(i);
                if self.savepoints.is_empty()
                    && self.txn_from_savepoint
                    && let Some(tx) = self.txn.take()
                {
                    tx.commit()?;
                }
                Ok(StatementResult::default())
            }
            Statement::Select(q) => {
                let plan = Binder::new(&self.schema).bind_select(q)?;
                self.run_plan(&plan, params)
            }
            Statement::Explain { query_plan: true, statement } => {
                let lines = crate::explain::query_plan(&self.schema, statement)?;
                let rows = lines
                    .into_iter()
                    .map(|l| {
                        vec![Value::Integer(l.id), Value::Integer(l.parent), Value::Integer(0), Value::Text(l.detail)]
                    })
                    .collect();
                let columns = ["id", "parent", "notused", "detail"].map(String::from).to_vec();
                Ok(StatementResult { columns, rows, changes: 0 })
            }
            Statement::Explain { query_plan: false, .. } => {
                sql_err("EXPLAIN without QUERY PLAN is not supported: DoSQL has no bytecode to show")
            }
            Statement::Pragma { name, value } => crate::pragma::run(self, name, value.as_ref()),
            _ => self.write_statement(stmt, text, params, None),
        }
    }

    /// Runs a statement that writes, atomically: a failing statement is
    /// undone on its own (ABORT), keeps its earlier changes (FAIL) or takes
    /// the whole transaction with it (ROLLBACK).
    ///
    /// `plan` is the statement bound in advance (prepared statements),
    /// against the current schema.
    pub(crate) fn write_statement(
        &mut self,
        stmt: &Statement,
        text: &str,
        params: &[Value],
        plan: Option<&dml::WritePlan>,
    ) -> Result<StatementResult> {
        // Refused before anything starts, so an open transaction is untouched;
        // but DDL that stops before writing (an IF [NOT] EXISTS that finds
        // nothing to do, or an error SQLite reports when preparing) runs.
        let read_only = self.settings.query_only || self.settings.read_only;
        if read_only && !ddl_writes_nothing(&self.schema, stmt) {
            self.check_writable()?;
        }
        let ddl = stmt.changes_schema();
        let now = self.statement_time();
        // A failed statement that is not DDL leaves the schema alone, unless
        // it rolls back a transaction that changed it.
        let reload = ddl || self.txn_ddl;
        if ddl && self.txn.is_some() {
            self.txn_ddl = true;
        }
        let result = match self.txn.take() {
            Some(mut tx) => {
                tx.savepoint(STMT_SAVEPOINT);
                let writes = tx.schema_writes();
                let mut fk = (self.fk_deferred, false);
                let r = write(
                    &mut tx,
                    &mut self.schema,
                    StmtState { settings: self.settings, now_ms: now, session: &mut self.session, fk: &mut fk },
                    (stmt, plan),
                    text,
                    params,
                );
                if r.is_ok() || matches!(r, Err(Error::ConstraintFail(_))) {
                    self.fk_deferred = fk.0;
                }
                match &r {
                    // ROLLBACK conflict resolution, and an interrupted
                    // change, take the whole transaction (as SQLite).
                    Err(e) if matches!(e, Error::ConstraintRollback(_)) || crate::interrupt::is_interrupted(e) => {
                        tx.rollback();
                        self.savepoints.clear();
                        self.savepoint_fk.clear();
                        self.fk_deferred = 0;
                    }
                    Err(Error::ConstraintFail(_)) | Ok(_) => {
                        if ddl && shared_schema_changed(stmt, &tx, writes) {
                            bump_schema_cookie(&mut tx)?;
                        }
                        tx.release(STMT_SAVEPOINT)?;
                        self.txn = Some(tx);
                    }
                    Err(_) => {
                        tx.rollback_to(STMT_SAVEPOINT)?;
                        tx.release(STMT_SAVEPOINT)?;
                        self.txn = Some(tx);
                    }
                }
                r
            }
            None => {
                let mut tx = self.begin()?;
                let writes = tx.schema_writes();
                let r = write(
                    &mut tx,
                    &mut self.schema,
                    StmtState { settings: self.settings, now_ms: now, session: &mut self.session, fk: &mut (0, true) },
                    (stmt, plan),
                    text,
                    params,
                );
                match &r {
                    Ok(_) | Err(Error::ConstraintFail(_)) => {
                        if ddl && shared_schema_changed(stmt, &tx, writes) {
                            bump_schema_cookie(&mut tx)?;
                        }
                        tx.commit()?;
                    }
                    Err(_) => tx.rollback(),
                }
                r
            }
        };
        if ddl || (result.is_err() && reload) {
            self.reload_schema()?;
        }
        result.map(|o| StatementResult { columns: o.columns, rows: o.rows, changes: o.changes })
    }
}

/// Where the schema cookie lives in [`crate::schema::META_TREE`]: a
/// counter every committed schema change bumps, as SQLite's header field
/// of that name, so connections sharing a database notice each other's DDL.
const SCHEMA_COOKIE_KEY: &[u8] = b"schema_cookie";

/// The stored schema cookie (0 before the first schema change).
pub(crate) fn read_schema_cookie(rd: &dyn Reader) -> Result<i64> {
    let raw = if rd.has_tree(META_TREE) { rd.get(META_TREE, SCHEMA_COOKIE_KEY)? } else { None };
    Ok(match raw.as_deref().and_then(decode_row).and_then(|r| r.into_iter().next()) {
        Some(Value::Integer(i)) => i,
        _ => 0,
    })
}

/// Whether a DDL statement that succeeded changed what other connections
/// must reload: the main `sqlite_schema` (not TEMP objects), or
/// statistics (ANALYZE).
fn shared_schema_changed(stmt: &Statement, tx: &Txn, writes_before: u64) -> bool {
    tx.schema_writes() != writes_before || matches!(stmt, Statement::Analyze(_))
}

/// Counts one more schema change in the transaction.
fn bump_schema_cookie(tx: &mut Txn) -> Result<()> {
    let next = read_schema_cookie(tx)?.wrapping_add(1);
    if !tx.tree_exists(META_TREE) {
        tx.create_tree(META_TREE)?;
    }
    tx.put(META_TREE, SCHEMA_COOKIE_KEY, &encode_row(&[Value::Integer(next)]))?;
    Ok(())
}

/// Adds a row to `sqlite_schema`, or to `sqlite_temp_schema` for a TEMP
/// object.
fn schema_insert(
    tx: &mut Txn,
    temp: bool,
    kind: &str,
    name: &str,
    table: &str,
    tree: u64,
    sql: Option<&str>,
) -> Result<()> {
    let schema_tree = if temp { TEMP_SCHEMA_TREE } else { SCHEMA_TREE };
    let last = tx.range(schema_tree, ..)?.next_back().transpose()?;
    let rowid = last.and_then(|(k, _)| key_rowid(&k)).unwrap_or(0) + 1;
    // SQLite stores `CREATE <KIND> name...` whatever preceded the name.
    let sql = sql.map(|s| crate::parse::schema_text(s).unwrap_or_else(|| s.to_string()));
    let row = vec![
        Value::Text(kind.into()),
        Value::Text(name.into()),
        Value::Text(table.into()),
        Value::Integer(tree as i64),
        sql.map_or(Value::Null, Value::Text),
    ];
    tx.put(schema_tree, &rowid_key(rowid), &encode_row(&row))?;
    Ok(())
}

/// Removes schema rows (of the main or the temporary schema) whose name
/// (or, for `by_table`, table name) matches; returns their trees.
fn schema_remove(tx: &mut Txn, name: &str, by_table: bool) -> Result<Vec<u64>> {
    let mut trees = schema_remove_from(tx, SCHEMA_TREE, name, by_table)?;
    trees.extend(schema_remove_from(tx, TEMP_SCHEMA_TREE, name, by_table)?);
    Ok(trees)
}

fn schema_remove_from(tx: &mut Txn, schema_tree: u64, name: &str, by_table: bool) -> Result<Vec<u64>> {
    let mut doomed = Vec::new();
    for e in tx.range(schema_tree, ..)? {
        let (k, v) = e?;
        let Some(row) = decode_row(&v) else { continue };
        let col = if by_table { 2 } else { 1 };
        if let (Some(Value::Text(n)), Some(root)) = (row.get(col), row.get(3))
            && n.eq_ignore_ascii_case(name)
        {
            let tree = if let Value::Integer(t) = root { *t as u64 } else { 0 };
            doomed.push((k, tree));
        }
    }
    let mut trees = Vec::new();
    for (k, tree) in doomed {
        tx.delete(schema_tree, &k)?;
        if tree != 0 {
            trees.push(tree);
        }
    }
    Ok(trees)
}

/// Runs one writing statement. `fk` is the transaction's deferred foreign
/// key count (updated) and whether the statement commits on its own.
/// What a writing statement takes from and gives back to the connection.
struct StmtState<'a> {
    settings: Settings,
    /// The statement's time.
    now_ms: i64,
    /// The connection's counters, updated by the statement.
    session: &'a mut Session,
    /// Deferred foreign key violations in, and out; and whether the
    /// statement commits on its own (autocommit).
    fk: &'a mut (i64, bool),
}

fn write(
    tx: &mut Txn,
    schema: &mut Schema,
    state: StmtState<'_>,
    (stmt, plan): (&Statement, Option<&dml::WritePlan>),
    text: &str,
    params: &[Value],
) -> Result<Outcome> {
    let StmtState { settings, now_ms, session, fk } = state;
    let mut run = Run::at_instant(schema, params, now_ms);
    run.foreign_keys = settings.foreign_keys;
    run.session = *session;
    run.fk_deferred = fk.0;
    let out = match (stmt, plan) {
        (_, Some(p)) => dml::run_write(tx, &mut run, p),
        (Statement::Insert(i), None) => dml::insert(tx, &mut run, i, None),
        (Statement::Update(u), None) => dml::update(tx, &mut run, u, None),
        (Statement::Delete(d), None) => dml::delete(tx, &mut run, d, None),
        (Statement::Drop { kind: ObjectKind::Table, name, .. }, None) if settings.foreign_keys => {
            drop_table_fk(tx, &mut run, name)?;
            fk.0 = run.fk_deferred;
            let changes = ddl(tx, schema, stmt, text)?;
            if fk.1 && fk.0 > 0 {
                return Err(Error::Constraint(dml::fkey::FK_FAILED.into()));
            }
            return Ok(Outcome { changes, ..Outcome::default() });
        }
        _ => return ddl(tx, schema, stmt, text).map(|changes| Outcome { changes, ..Outcome::default() }),
    };
    fk.0 = run.fk_deferred;
    let out = out.and_then(|o| run.finish(fk.1).map(|()| o));
    // Like SQLite, a failed statement keeps its last_insert_rowid(), and
    // total_changes() counts what the trigger programs and foreign key
    // actions it ran completed, though not its own rows.
    let counted = if out.is_ok() { run.row_changes } else { run.row_changes.saturating_sub(run.top_changes) };
    session.total_changes += counted as i64;
    session.last_insert_rowid = run.session.last_insert_rowid;
    session.changes = out.as_ref().map_or(0, |o| o.changes as i64);
    out
}

/// DROP TABLE with foreign keys on first deletes every row (no triggers,
/// but foreign key actions run) when the table is a parent, or a child
/// of a deferred key while deferred violations are outstanding; immediate
/// violations that leaves fail the DROP.
fn drop_table_fk(tx: &mut Txn, run: &mut Run<'_>, name: &str) -> Result<()> {
    let schema = run.schema;
    let Some(table) = schema.table(name).filter(|t| t.tree & !TEMP_BIT != SCHEMA_TREE) else { return Ok(()) };
    let parent =
        schema.tables.values().any(|t| t.foreign_keys.iter().any(|f| f.parent.eq_ignore_ascii_case(&table.name)));
    let deferred_child = table.foreign_keys.iter().any(|f| f.deferred) && run.fk_deferred != 0;
    if !(parent || deferred_child) {
        return Ok(());
    }
    let del = crate::ast::Delete {
        with: Vec::new(),
        table: table.name.clone(),
        alias: None,
        where_: None,
        returning: Vec::new(),
    };
    run.fk_quiet = true;
    dml::delete(tx, run, &del, None)?;
    run.fk_quiet = false;
    if run.fk_immediate > 0 {
        return Err(Error::Constraint(dml::fkey::FK_FAILED.into()));
    }
    Ok(())
}

/// Whether [`ddl`] (or the DML) returns for `stmt` before writing anything: creating
/// an object whose name is taken or on a table that does not exist,
/// dropping, altering, analyzing or reindexing one that does not exist
/// (or a column that does not), or changing a view with no INSTEAD OF
/// trigger. Such statements are no-ops or fail
/// when prepared in SQLite, so `PRAGMA query_only` does not refuse them.
fn ddl_writes_nothing(schema: &Schema, stmt: &Statement) -> bool {
    let missing = |name: &str| schema.table(name).is_none() && !schema.views.contains_key(&lower(name));
    match stmt {
        Statement::CreateTable(ct) => schema.name_taken(&ct.name) || lower(&ct.name).starts_with("sqlite_"),
        Statement::CreateView(cv) => schema.name_taken(&cv.name),
        Statement::CreateIndex(ci) => schema.name_taken(&ci.name) || schema.table(&ci.table).is_none(),
        Statement::CreateTrigger(ct) => {
            schema.triggers.contains_key(&lower(&ct.name))
                || lower(&ct.name).starts_with("sqlite_")
                || missing(&ct.table)
        }
        // Changing a view without INSTEAD OF triggers fails before writing.
        Statement::Insert(i) => bare_view(schema, &i.table),
        Statement::Update(u) => bare_view(schema, &u.table),
        Statement::Delete(d) => bare_view(schema, &d.table),
        Statement::AlterTable(at) => match schema.table(&at.table) {
            None => true,
            Some(_) if lower(&at.table).starts_with("sqlite_") => true,
            Some(t) => match &at.action {
                AlterAction::RenameColumn { old, .. } => t.column_index(old).is_none(),
                AlterAction::DropColumn(c) => t.column_index(c).is_none(),
                AlterAction::AddColumn(def, _) => t.column_index(&def.name).is_some(),
                AlterAction::RenameTable(_) => false,
            },
        },
        Statement::Analyze(Some(n)) => {
            !matches!(lower(n).as_str(), "main" | "temp")
                && schema.table(n).is_none()
                && !schema.indexes.contains_key(&lower(n))
        }
        Statement::Reindex(Some(n)) => {
            !schema.indexes.contains_key(&lower(n))
                && schema.table(n).is_none()
                && crate::schema::collation_by_name(n).is_err()
        }
        Statement::Drop { kind, name, .. } => match kind {
            ObjectKind::Table => schema.table(name).is_none_or(|t| t.tree & !TEMP_BIT == SCHEMA_TREE),
            ObjectKind::Index => !schema.indexes.contains_key(&lower(name)),
            ObjectKind::View => !schema.views.contains_key(&lower(name)),
            ObjectKind::Trigger => !schema.triggers.contains_key(&lower(name)),
        },
        _ => false,
    }
}

/// Whether `name` is a view with no INSTEAD OF trigger (which no
/// statement can change).
fn bare_view(schema: &Schema, name: &str) -> bool {
    schema.views.contains_key(&lower(name))
        && !schema
            .triggers
            .values()
            .any(|t| t.def.timing == TriggerTiming::InsteadOf && t.def.table.eq_ignore_ascii_case(name))
}

fn ddl(tx: &mut Txn, schema: &mut Schema, stmt: &Statement, text: &str) -> Result<u64> {
    match stmt {
        Statement::CreateTable(ct) => {
            if schema.name_taken(&ct.name) || lower(&ct.name).starts_with("sqlite_") {
                if ct.if_not_exists && schema.table(&ct.name).is_some() {
                    return Ok(0);
                }
                if lower(&ct.name).starts_with("sqlite_") {
                    return sql_err(format!("object name reserved for internal use: {}", ct.name));
                }
                return sql_err(format!("{} {} already exists", object_word(schema, &ct.name), ct.name));
            }
            if let Some(q) = &ct.as_select {
                return create_table_as(tx, schema, ct, q);
            }
            let temp = ct.temporary;
            let tree = if temp { schema.next_temp_tree } else { schema.next_tree };
            let mut next = tree + 1;
            let mut scratch = schema.clone();
            let mut autos = Vec::new();
            scratch.add_table(ct, tree, text.to_string(), &mut |_| {
                let t = next;
                next += 1;
                autos.push(t);
                Ok(t)
            })?;
            if let Some(t) = scratch.table(&ct.name) {
                dml::check_generated(&scratch, t)?;
            }
            tx.create_tree(tree)?;
            schema_insert(tx, temp, "table", &ct.name, &ct.name, tree, Some(text))?;
            for (n, t) in autos.iter().enumerate() {
                tx.create_tree(*t)?;
                let name = format!("sqlite_autoindex_{}_{}", ct.name, n + 1);
                schema_insert(tx, temp, "index", &name, &ct.name, *t, None)?;
            }
            if !temp
                && scratch.table(&ct.name).is_some_and(|t| t.autoincrement)
                && scratch.table("sqlite_sequence").is_none()
            {
                // SQLite's bookkeeping table for AUTOINCREMENT, made on first need.
                const SEQ_SQL: &str = "CREATE TABLE sqlite_sequence(name,seq)";
                let seq_tree = next;
                let parsed = parse_sql(SEQ_SQL)?;
                if let Some(Statement::CreateTable(seq)) = parsed.first().map(|p| &p.statement) {
                    scratch.add_table(seq, seq_tree, SEQ_SQL.into(), &mut |_| sql_err("no indexes"))?;
                    tx.create_tree(seq_tree)?;
                    schema_insert(tx, false, "table", "sqlite_sequence", "sqlite_sequence", seq_tree, Some(SEQ_SQL))?;
                }
            }
            *schema = scratch;
            Ok(0)
        }
        Statement::CreateIndex(ci) => {
            if schema.name_taken(&ci.name) {
                if ci.if_not_exists {
                    return Ok(0);
                }
                return sql_err(format!("{} {} already exists", object_word(schema, &ci.name), ci.name));
            }
            // An index on a TEMP table is TEMP too.
            let temp = schema.table(&ci.table).is_some_and(|t| is_temp(t.tree));
            let tree = if temp { schema.next_temp_tree } else { schema.next_tree };
            if let Some(w) = &ci.where_ {
                crate::schema::check_partial_where(w)?;
            }
            let mut scratch = schema.clone();
            scratch.add_index(ci, tree, Some(text.to_string()))?;
            tx.create_tree(tree)?;
            let index = scratch.indexes.get(&lower(&ci.name)).cloned();
            if let Some(ix) = &index {
                dml::build_index(tx, &scratch, ix)?;
            }
            let table = scratch.table(&ci.table).map(|t| t.name.clone()).unwrap_or_default();
            schema_insert(tx, temp, "index", &ci.name, &table, tree, Some(text))?;
            *schema = scratch;
            Ok(0)
        }
        Statement::CreateView(cv) => {
            if schema.name_taken(&cv.name) {
                if cv.if_not_exists {
                    return Ok(0);
                }
                return sql_err(format!("{} {} already exists", object_word(schema, &cv.name), cv.name));
            }
            // Like SQLite, the query's names are resolved when the view is
            // used, not now: it may name tables created later.
            schema_insert(tx, cv.temporary, "view", &cv.name, &cv.name, 0, Some(text))?;
            schema.add_view(cv, text.to_string());
            Ok(0)
        }
        Statement::CreateTrigger(ct) => {
            if schema.triggers.contains_key(&lower(&ct.name)) {
                if ct.if_not_exists {
                    return Ok(0);
                }
                return sql_err(format!("trigger {} already exists", ct.name));
            }
            if lower(&ct.name).starts_with("sqlite_") {
                return sql_err(format!("object name reserved for internal use: {}", ct.name));
            }
            // A trigger on a TEMP table or view is TEMP too.
            let mut temp = ct.temporary;
            let on = if let Some(t) = schema.table(&ct.table) {
                temp |= is_temp(t.tree);
                if t.tree & !TEMP_BIT == SCHEMA_TREE || lower(&t.name).starts_with("sqlite_") {
                    return sql_err("cannot create trigger on system table");
                }
                if ct.timing == TriggerTiming::InsteadOf {
                    return sql_err(format!("cannot create INSTEAD OF trigger on table: {}", ct.table));
                }
                t.name.clone()
            } else if let Some(v) = schema.views.get(&lower(&ct.table)) {
                if ct.timing != TriggerTiming::InsteadOf {
                    let when = if ct.timing == TriggerTiming::Before { "BEFORE" } else { "AFTER" };
                    return sql_err(format!("cannot create {when} trigger on view: {}", ct.table));
                }
                temp |= v.temp;
                v.name.clone()
            } else {
                return sql_err(format!("no such table: main.{}", ct.table));
            };
            schema_insert(tx, temp, "trigger", &ct.name, &on, 0, Some(text))?;
            schema.add_trigger((**ct).clone(), text.to_string());
            Ok(0)
        }
        Statement::AlterTable(at) => crate::alter::alter(tx, schema, at),
        Statement::Analyze(target) => {
            let tree = schema.next_tree;
            crate::analyze::run(tx, schema, target.as_deref(), |tx| {
                tx.create_tree(tree)?;
                let sql = crate::analyze::STAT1_SQL;
                schema_insert(tx, false, "table", "sqlite_stat1", "sqlite_stat1", tree, Some(sql))?;
                Ok(tree)
            })?;
            Ok(0)
        }
        Statement::Reindex(target) => {
            let chosen: Vec<crate::schema::Index> = match target {
                None => schema.indexes.values().cloned().collect(),
                Some(name) => {
                    let n = lower(name);
                    if let Some(ix) = schema.indexes.get(&n) {
                        vec![ix.clone()]
                    } else if schema.table(name).is_some_and(|t| t.tree & !TEMP_BIT != SCHEMA_TREE) {
                        schema.table_indexes(name).cloned().collect()
                    } else if crate::schema::collation_by_name(name).is_ok() {
                        schema.indexes.values().cloned().collect()
                    } else {
                        return sql_err("unable to identify the object to be reindexed");
                    }
                }
            };
            for ix in chosen {
                // Rebuild from the table: drop every entry, then add each row's.
                tx.drop_tree(ix.tree)?;
                tx.create_tree(ix.tree)?;
                dml::build_index(tx, schema, &ix)?;
            }
            Ok(0)
        }
        Statement::Drop { kind, name, if_exists } => {
            let exists = match kind {
                ObjectKind::Table => schema.table(name).is_some_and(|t| t.tree & !TEMP_BIT != SCHEMA_TREE),
                ObjectKind::Index => schema.indexes.contains_key(&lower(name)),
                ObjectKind::View => schema.views.contains_key(&lower(name)),
                ObjectKind::Trigger => schema.triggers.contains_key(&lower(name)),
            };
            if !exists {
                if *if_exists {
                    return Ok(0);
                }
                let word = match kind {
                    ObjectKind::Table => "table",
                    ObjectKind::Index => "index",
                    ObjectKind::View => "view",
                    ObjectKind::Trigger => "trigger",
                };
                if *kind == ObjectKind::Table && schema.table(name).is_some() {
                    return sql_err(format!("table {name} may not be dropped"));
                }
                return sql_err(format!("no such {word}: {name}"));
            }
            // A table or view takes its indexes and triggers with it.
            let trees = match kind {
                ObjectKind::Table | ObjectKind::View => schema_remove(tx, name, true)?,
                _ => schema_remove(tx, name, false)?,
            };
            if *kind == ObjectKind::Table {
                dml::forget_sequence(tx, schema, name)?;
            }
            for t in trees {
                if tx.tree_exists(t) {
                    tx.drop_tree(t)?;
                }
            }
            Ok(0)
        }
        other => sql_err(format!("statement not supported yet: {}", statement_word(other))),
    }
}

/// `CREATE TABLE name AS SELECT ...`: a table with the query's column names
/// (made unique as SQLite does) and a declared type from each column's
/// affinity, stored as the `CREATE TABLE` text SQLite would write, holding
/// the query's rows.
fn create_table_as(
    tx: &mut Txn,
    schema: &mut Schema,
    ct: &crate::ast::CreateTable,
    q: &crate::ast::Select,
) -> Result<u64> {
    let name = ct.name.as_str();
    let plan = Binder::new(schema).bind_select(q)?;
    let rows = run_query(&Ctx::new(&*tx, &[]), &plan, None)?;
    let mut used: Vec<String> = Vec::new();
    let mut defs = Vec::new();
    for (col, aff) in plan.columns.iter().zip(&plan.affinities) {
        let mut n = col.clone();
        let mut k = 0;
        while used.iter().any(|u| u.eq_ignore_ascii_case(&n)) {
            k += 1;
            n = format!("{col}:{k}");
        }
        used.push(n.clone());
        let ty = match aff {
            Some(Affinity::Integer) => " INT",
            Some(Affinity::Real) => " REAL",
            Some(Affinity::Text) => " TEXT",
            Some(Affinity::Numeric) => " NUM",
            _ => "",
        };
        defs.push(format!("{}{ty}", crate::parse::quote_ident(&n)));
    }
    // SQLite lays the columns out on one line when the names are short
    // (its measure: each name's length with quotes, doubled quotes, and 5
    // per column, plus the table's).
    let ident_len = |s: &str| s.chars().count() + s.matches('"').count() + 2;
    let n: usize = used.iter().map(|c| ident_len(c) + 5).sum::<usize>() + ident_len(name);
    let (open, sep, close) = if n < 50 { ("", ",", "") } else { ("\n  ", ",\n  ", "\n") };
    let temp = if ct.temporary { "TEMP " } else { "" };
    let sql = format!("CREATE {temp}TABLE {}({open}{}{close})", crate::parse::quote_ident(name), defs.join(sep));
    let parsed = parse_sql(&sql)?;
    let Some(Statement::CreateTable(def)) = parsed.into_iter().next().map(|p| p.statement) else {
        return sql_err(format!("internal error: generated {sql}"));
    };
    ddl(tx, schema, &Statement::CreateTable(def), &sql)?;
    let Some(table) = schema.table(name).cloned() else { return sql_err(format!("no such table: {name}")) };
    for (i, row) in rows.into_iter().enumerate() {
        let row: Vec<Value> = row.into_iter().zip(&table.columns).map(|(v, c)| v.apply_affinity(c.affinity)).collect();
        tx.put(table.tree, &rowid_key(i as i64 + 1), &encode_row(&row))?;
    }
    Ok(0)
}

fn object_word(schema: &Schema, name: &str) -> &'static str {
    let n = lower(name);
    if schema.tables.contains_key(&n) {
        "table"
    } else if schema.indexes.contains_key(&n) {
        "index"
    } else {
        "view"
    }
}

fn statement_word(s: &Statement) -> &'static str {
    match s {
        Statement::Select(_) => "SELECT",
        Statement::Insert(_) => "INSERT",
        Statement::Update(_) => "UPDATE",
        Statement::Delete(_) => "DELETE",
        _ => "this statement",
    }
}
