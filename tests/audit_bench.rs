//! The remote audit's benchmark parts (`bash bench/audit.sh`), ignored in ordinary test
//! runs: the fake GitHub serving an org of generated packet repositories until told to stop,
//! and the GitHub side of one shard of the audit (list the org, download and unpack every
//! repository of the shard) with its time, peak memory and requests per repository.
//!
//! Settings come from the environment (see `bench/audit.sh`):
//! - `serve_bench_org`: `PACKETGATE_BENCH_PACKETS` (a folder of packets, as
//!   `bench/gen_packets.py` writes them), `PACKETGATE_BENCH_REPOS`,
//!   `PACKETGATE_BENCH_PER_REPO`, `PACKETGATE_BENCH_STOP` (a file whose appearance stops
//!   the server). Prints `FAKE_API_URL=…`, then at the stop the requests per repository.
//! - `fetch_bench_shard`: `PACKETGATE_BENCH_API`, `PACKETGATE_BENCH_SHARD` (`I/N`, 1-based),
//!   `PACKETGATE_BENCH_OUT` (a scratch folder).

#[path = "support/github/mod.rs"]
mod github;

use github::{FakeGitHub, FakeRepo, Org, RepoFile, Setup};
use packetgate::github::api::Api;
use packetgate::github::repos;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ORG: &str = "bench";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (see bench/audit.sh)"))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
#[ignore = "benchmark server: bash bench/audit.sh"]
fn serve_bench_org() {
    let packets = PathBuf::from(env("PACKETGATE_BENCH_PACKETS"));
    let count: usize = env("PACKETGATE_BENCH_REPOS").parse().unwrap();
    let per: usize = env("PACKETGATE_BENCH_PER_REPO").parse().unwrap();
    let stop = PathBuf::from(env("PACKETGATE_BENCH_STOP"));
    let all = files_under(&packets);
    assert!(
        all.len() >= count * per,
        "{} holds {} packets, fewer than {count} × {per}",
        packets.display(),
        all.len()
    );
    let repos: Vec<FakeRepo> = all
        .chunks(per)
        .take(count)
        .enumerate()
        .map(|(i, chunk)| {
            let files = chunk
                .iter()
                .map(|p| RepoFile::Disk {
                    path: p
                        .strip_prefix(&packets)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                    from: p.clone(),
                })
                .collect();
            let mut repo = FakeRepo::new(
                &format!("packets-{i:03}"),
                &format!("{:040x}", 0x5eed_0000_u64 + i as u64),
                files,
            );
            // Made once, before the clock starts: GitHub serves archives from a cache, and
            // the fake making them on request would take the measured client's CPU.
            repo.archive = Some(github::archive_of(ORG, &repo));
            repo
        })
        .collect();
    let fake = FakeGitHub::start(Setup {
        org: Some(Org {
            name: ORG.into(),
            repos,
        }),
        ..Setup::default()
    });
    println!("FAKE_API_URL={}", fake.api_url());
    std::io::stdout().flush().unwrap();
    while !stop.exists() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let per_repo = fake.requests_per_repo();
    let listing = fake.count("GET", "/orgs/");
    let max = per_repo.values().copied().max().unwrap_or(0);
    let total: usize = per_repo.values().sum();
    println!(
        "fake: {} repositories requested, {total} requests to them, {listing} org listing requests; per repository at most {max}, on average {:.2} (+ {:.2} listing share)",
        per_repo.len(),
        total as f64 / per_repo.len().max(1) as f64,
        listing as f64 / per_repo.len().max(1) as f64,
    );
    println!("fake: {} contract violations", fake.violations().len());
    for v in fake.violations().iter().take(10) {
        println!("  {v}");
    }
}

/// Peak resident memory of this process so far, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
#[ignore = "benchmark client: bash bench/audit.sh"]
fn fetch_bench_shard() {
    let api_url = env("PACKETGATE_BENCH_API");
    let shard = env("PACKETGATE_BENCH_SHARD");
    let (i, n) = shard
        .split_once('/')
        .and_then(|(i, n)| Some((i.parse::<u32>().ok()?, n.parse::<u32>().ok()?)))
        .filter(|(i, n)| (1..=*n).contains(i))
        .expect("PACKETGATE_BENCH_SHARD is I/N, 1-based");
    let out = PathBuf::from(env("PACKETGATE_BENCH_OUT")).join(format!("shard-{i}"));
    let _ = std::fs::remove_dir_all(&out);
    let started = Instant::now();
    let api = Api::new(&api_url, "bench-token", ORG, "unused").unwrap();
    let list = repos::list_org(&api, ORG).unwrap();
    let mine = list.shard(i - 1, n);
    let share = f64::from(list.requests) / list.repos.len().max(1) as f64;
    let (mut files, mut bytes, mut max_requests, mut requests) = (0, 0, 0, 0);
    for repo in &mine {
        let snap = repos::fetch(&api, repo, &out.join(&repo.name)).unwrap();
        files += snap.files;
        bytes += snap.bytes;
        max_requests = max_requests.max(snap.requests);
        requests += snap.requests;
    }
    let took = started.elapsed();
    let _ = std::fs::remove_dir_all(&out);
    println!(
        "shard {i}/{n}: {} repositories, {files} files, {:.1} MiB unpacked in {:.2} s; peak RSS {:.1} MiB; requests per repository at most {max_requests}, on average {:.2}, + {share:.3} listing share ({} listing requests)",
        mine.len(),
        bytes as f64 / 1048576.0,
        took.as_secs_f64(),
        peak_rss_kib() as f64 / 1024.0,
        f64::from(requests) / mine.len().max(1) as f64,
        list.requests,
    );
    assert!(
        f64::from(max_requests) + share <= f64::from(repos::REQUESTS_PER_REPO),
        "over the budget of {} requests per repository",
        repos::REQUESTS_PER_REPO
    );
}
