//! Latency statistics of one engine on one operation: percentiles by the
//! nearest-rank method, mean, and throughput.
//!
//! Not covered: standard deviation and histograms (the guide lists the
//! former; the report leaves it out as it sets no target on it).

use std::time::Duration;

/// One engine's figures for one operation, in milliseconds and
/// operations per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Median latency.
    pub p50_ms: f64,
    /// 95th percentile latency.
    pub p95_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// Mean latency.
    pub mean_ms: f64,
    /// Operations per second.
    pub ops_per_sec: f64,
    /// Timed operations.
    pub samples: usize,
}

/// The `p`-th percentile (0 < p <= 100) of sorted `samples` by the
/// nearest-rank method: the smallest sample with at least `p` percent of
/// the samples at or below it. `None` if there are no samples.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (p / 100.0 * n as f64).ceil() as usize;
    sorted.get(rank.clamp(1, n) - 1).copied()
}

impl Stats {
    /// Statistics of `latencies`, where the operations ran one after
    /// another: throughput is their count over their summed time.
    pub fn sequential(latencies: &[Duration]) -> Stats {
        let total: f64 = latencies.iter().map(Duration::as_secs_f64).sum();
        Stats::with_wall_time(latencies, total)
    }

    /// Statistics of `latencies` that took `wall_secs` in all (several
    /// threads ran them at once): throughput is their count over it.
    pub fn with_wall_time(latencies: &[Duration], wall_secs: f64) -> Stats {
        let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        let mean = if n == 0 { 0.0 } else { ms.iter().sum::<f64>() / n as f64 };
        Stats {
            p50_ms: percentile(&ms, 50.0).unwrap_or(0.0),
            p95_ms: percentile(&ms, 95.0).unwrap_or(0.0),
            p99_ms: percentile(&ms, 99.0).unwrap_or(0.0),
            mean_ms: mean,
            ops_per_sec: if wall_secs > 0.0 { n as f64 / wall_secs } else { 0.0 },
            samples: n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&hundred, 50.0), Some(50.0));
        assert_eq!(percentile(&hundred, 95.0), Some(95.0));
        assert_eq!(percentile(&hundred, 99.0), Some(99.0));
        assert_eq!(percentile(&hundred, 100.0), Some(100.0));
        // Ten samples: the 95th and 99th percentiles are both the largest.
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&ten, 50.0), Some(5.0));
        assert_eq!(percentile(&ten, 95.0), Some(10.0));
        assert_eq!(percentile(&ten, 99.0), Some(10.0));
        assert_eq!(percentile(&[7.0], 50.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn stats_sort_their_input() {
        // 1..=20 ms shuffled: percentiles must not depend on the order.
        let order = [13u64, 2, 20, 7, 1, 15, 9, 4, 18, 11, 3, 16, 6, 19, 10, 5, 14, 8, 17, 12];
        let lat: Vec<Duration> = order.iter().map(|&m| Duration::from_millis(m)).collect();
        let s = Stats::sequential(&lat);
        assert!((s.p50_ms - 10.0).abs() < 1e-9, "{s:?}");
        assert!((s.p95_ms - 19.0).abs() < 1e-9, "{s:?}");
        assert!((s.p99_ms - 20.0).abs() < 1e-9, "{s:?}");
        assert!((s.mean_ms - 10.5).abs() < 1e-9, "{s:?}");
        // 20 operations in 210 ms.
        assert!((s.ops_per_sec - 20.0 / 0.210).abs() < 1e-6, "{s:?}");
        assert_eq!(s.samples, 20);
    }

    #[test]
    fn wall_time_sets_throughput() {
        let lat = vec![Duration::from_millis(4); 10];
        let s = Stats::with_wall_time(&lat, 0.01);
        assert!((s.ops_per_sec - 1000.0).abs() < 1e-6);
        assert!((s.mean_ms - 4.0).abs() < 1e-9);
        assert_eq!(Stats::sequential(&[]).ops_per_sec, 0.0);
    }
}
