//! The product guide's users / orders schema through the embedded API:
//! schema and indexes, a batch insert, typed queries, a join, a
//! transaction, EXPLAIN, ANALYZE statistics, and readers on threads.
//!
//! Run it with `cargo run -p dosql --example users_orders [PATH]` (a
//! database in memory without PATH).

use dosql::{Database, Error, Value, params};
use std::thread;

fn main() -> Result<(), Error> {
    let db = match std::env::args().nth(1) {
        Some(path) => Database::open(path)?,
        None => Database::open_in_memory()?,
    };
    db.execute_batch(
        "CREATE TABLE IF NOT EXISTS users (
           id TEXT PRIMARY KEY,
           name TEXT NOT NULL,
           email TEXT,
           tenant_id TEXT,
           active INTEGER NOT NULL DEFAULT 1,
           created_at INTEGER
         );
         CREATE INDEX IF NOT EXISTS idx_users_email ON users(email);
         CREATE INDEX IF NOT EXISTS idx_users_tenant ON users(tenant_id);
         CREATE INDEX IF NOT EXISTS idx_users_tenant_created ON users(tenant_id, created_at);
         CREATE TABLE IF NOT EXISTS orders (
           id INTEGER PRIMARY KEY,
           user_id TEXT NOT NULL REFERENCES users(id),
           status TEXT NOT NULL,
           total REAL NOT NULL,
           created_at INTEGER
         );
         CREATE INDEX IF NOT EXISTS idx_orders_user ON orders(user_id);
         CREATE INDEX IF NOT EXISTS idx_orders_status_created ON orders(status, created_at);
         DELETE FROM orders; DELETE FROM users;",
    )?;

    // 2,000 users in 4 tenants: insert_batch sends 100 rows per INSERT and,
    // being over 1,000 rows, commits every 500 (the guide's BATCH_CONFIG).
    let start = 1_705_840_000_000i64;
    let users: Vec<Vec<Value>> = (0..2000)
        .map(|i| {
            params![
                format!("user-{i:04}"),
                format!("User {i}"),
                format!("user{i}@example.com"),
                format!("tenant-{}", i % 4),
                i % 10 != 0,
                start + i * 60_000
            ]
        })
        .collect();
    let n = db.insert_batch("users", &["id", "name", "email", "tenant_id", "active", "created_at"], &users)?;
    println!("inserted {n} users");

    // Orders, all-or-nothing in one transaction.
    db.transaction(|tx| {
        let orders: Vec<Vec<Value>> = (0..5000i64)
            .map(|i| {
                let status = ["pending", "paid", "shipped"][(i % 3) as usize];
                params![format!("user-{:04}", i % 2000), status, (i % 97) as f64 + 0.99, start + i * 1000]
            })
            .collect();
        tx.insert_batch("orders", &["user_id", "status", "total", "created_at"], &orders)
    })?;

    // Typed reads, streamed.
    let mut conn = db.connect()?;
    let recent = conn.query(
        "SELECT id, name, created_at FROM users WHERE tenant_id = ? AND created_at > ? ORDER BY created_at DESC LIMIT 3",
        ("tenant-2", start),
    )?;
    for row in recent {
        let row = row?;
        println!("{} {} {}", row.get::<String>("id")?, row.get::<String>("name")?, row.get::<i64>("created_at")?);
    }

    // The guide's join instead of N+1 queries.
    let rows = conn.query_all(
        "SELECT u.id, u.name, o.id AS order_id, o.total
         FROM users u LEFT JOIN orders o ON u.id = o.user_id
         WHERE u.active = 1 LIMIT 5",
        (),
    )?;
    for r in &rows {
        println!("{} order {:?} total {:?}", r.get::<String>(0)?, r.get::<Option<i64>>(2)?, r.get::<Option<f64>>(3)?);
    }

    // EXPLAIN, as the guide's client.explain.
    let plan = conn.explain("SELECT * FROM users WHERE tenant_id = 'tenant-123' AND created_at > 1705840000000")?;
    println!("index used: {}, estimated rows: {}", plan.index_used, plan.estimated_rows);
    for step in &plan.steps {
        println!("  {}", step.detail);
    }

    // Statistics for the planner, queryable as in the guide.
    conn.execute("ANALYZE", ())?;
    for r in conn.query_all("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE tbl = 'users' ORDER BY idx", ())? {
        println!("{} {} {}", r.get::<String>(0)?, r.get::<Option<String>>(1)?.unwrap_or_default(), r.get::<String>(2)?);
    }

    // Readers on four threads while this one writes.
    let readers: Vec<_> = (0..4)
        .map(|t| {
            let db = db.clone();
            thread::spawn(move || -> Result<f64, Error> {
                let mut c = db.connect()?;
                let mut sum = 0.0;
                for i in 0..200 {
                    sum += c.query_row(
                        "SELECT coalesce(sum(total), 0) FROM orders WHERE user_id = ?",
                        (format!("user-{:04}", (t * 200 + i) % 2000),),
                        |r| r.get::<f64>(0),
                    )?;
                }
                Ok(sum)
            })
        })
        .collect();
    for i in 0..100i64 {
        db.execute("UPDATE orders SET status = 'shipped' WHERE id = ?", (i + 1,))?;
    }
    for r in readers {
        let sum = r.join().map_err(|_| Error::Misuse("a reader thread panicked".into()))??;
        println!("reader saw order totals summing to {sum:.2}");
    }
    let pending: i64 = db.query_row("SELECT count(*) FROM orders WHERE status = 'pending'", (), |r| r.get(0))?;
    println!("pending orders: {pending}");
    Ok(())
}
