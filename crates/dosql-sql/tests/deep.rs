//! Deep inputs on small thread stacks: the deepest expressions, trigger
//! chains and foreign-key cascades SQLite's limits allow must give SQLite's
//! answer (or its error) on a 2 MiB thread, not overflow the stack and abort.

mod common;

use common::check_script;

/// The stack a thread gets from `std::thread::spawn` by default.
const SMALL_STACK: usize = 2 << 20;

/// Runs `script` through [`check_script`] on a thread with [`SMALL_STACK`].
fn check_on_small_stack(script: Vec<String>) {
    let worker = std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(move || {
            let refs: Vec<&str> = script.iter().map(String::as_str).collect();
            check_script(&refs);
        })
        .expect("spawn");
    if let Err(panic) = worker.join() {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn long_operator_chains() {
    check_on_small_stack(vec![
        format!("SELECT {}", vec!["1"; 999].join(" + ")),
        format!("SELECT {}", vec!["1"; 999].join(" AND ")),
        format!("SELECT {}", vec!["'a'"; 999].join(" || ")),
        format!("SELECT {}", vec!["2"; 999].join(" * ")),
        // One past SQLite's expression depth limit.
        format!("SELECT {}", vec!["1"; 1001].join(" + ")),
    ]);
}

#[test]
fn deep_nesting() {
    check_on_small_stack(vec![
        format!("SELECT {}1{}", "(".repeat(90), ")".repeat(90)),
        format!("SELECT {}1{}", "CASE WHEN 1 THEN ".repeat(90), " END".repeat(90)),
        format!("SELECT {}1{}", "abs(".repeat(90), ")".repeat(90)),
        format!("SELECT {}1{}", "(SELECT ".repeat(40), ")".repeat(40)),
    ]);
}

#[test]
fn deep_foreign_key_cascades() {
    let setup = |n: usize| {
        vec![
            "PRAGMA foreign_keys = ON".to_string(),
            "CREATE TABLE t(id INTEGER PRIMARY KEY, p REFERENCES t(id) ON DELETE CASCADE)".to_string(),
            "INSERT INTO t VALUES(1, NULL)".to_string(),
            format!(
                "WITH RECURSIVE c(x) AS (SELECT 2 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) \
                 INSERT INTO t SELECT x, x - 1 FROM c"
            ),
            "DELETE FROM t WHERE id = 1".to_string(),
            "SELECT count(*) FROM t".to_string(),
        ]
    };
    // Within the trigger depth limit: the whole chain goes.
    check_on_small_stack(setup(990));
    // Past it: SQLite's error, and nothing deleted.
    check_on_small_stack(setup(3000));
}

#[test]
fn long_trigger_chains() {
    let chain = |n: usize| {
        let mut s: Vec<String> = (0..=n).map(|i| format!("CREATE TABLE t{i}(x)")).collect();
        s.extend((0..n).map(|i| {
            format!("CREATE TRIGGER r{i} AFTER INSERT ON t{i} BEGIN INSERT INTO t{}(x) VALUES(new.x + 1); END", i + 1)
        }));
        s.push("INSERT INTO t0 VALUES(1)".into());
        s.push(format!("SELECT x FROM t{n}"));
        s.push(format!("SELECT count(*) FROM t{}", n / 2));
        s
    };
    check_on_small_stack(chain(400));
}
