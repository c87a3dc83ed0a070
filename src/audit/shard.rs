//! `--shard I/N`: a stable partition of the packets, so N jobs can each judge a share.
//!
//! A packet's shard is a hash of its repository (when known) and its repository-relative
//! path, modulo N. The hash is FNV-1a (64-bit), written out here: it must give the same
//! shard on every machine and in every release, which `std`'s `DefaultHasher` does not
//! promise. Every packet lands in exactly one shard, so the shards are disjoint and their
//! union is the whole.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count`, 1-based (`2/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let form = "write a shard as I/N, e.g. 2/4: shard I of N, counting from 1";
        let Some((i, n)) = s.trim().split_once('/') else {
            return Err(format!("`{s}` is not a shard; {form}"));
        };
        let number = |t: &str| -> Result<u32, String> {
            t.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{s}`: `{t}` is not a whole number; {form}"))
        };
        let (index, count) = (number(i)?, number(n)?);
        if count == 0 {
            return Err(format!("`{s}`: there must be at least 1 shard; {form}"));
        }
        if index == 0 || index > count {
            return Err(format!(
                "`{s}`: the shard must be between 1 and {count} (shards count from 1)"
            ));
        }
        Ok(Shard { index, count })
    }
}

impl Serialize for Shard {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Shard {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// FNV-1a, 64 bits.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

impl Shard {
    /// Whether the packet at `path` (repository-relative, `/`-separated) in `repository`
    /// belongs to this shard.
    pub fn contains(&self, repository: Option<&str>, path: &str) -> bool {
        of(repository, path, self.count) == self.index
    }
}

/// What a run's shards partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShardBy {
    /// Packets, by repository and path (one tree, or trees already read).
    #[default]
    Path,
    /// Repositories, by name (`--repos`): each repository is read by exactly one shard, so
    /// the shards together make the same few requests per repository as one run.
    Repository,
}

impl Shard {
    /// Whether this shard reads `repository` (`owner/name`, any case).
    pub fn contains_repository(&self, repository: &str) -> bool {
        of_repository(repository, self.count) == self.index
    }

    /// Whether a packet belongs to this shard, partitioned `by`.
    pub fn holds(&self, by: ShardBy, repository: Option<&str>, path: &str) -> bool {
        match (by, repository) {
            (ShardBy::Repository, Some(r)) => self.contains_repository(r),
            _ => self.contains(repository, path),
        }
    }
}

/// The shard (1-based) of a repository among `count`; names are compared in small letters,
/// as GitHub compares them.
pub(crate) fn of_repository(repository: &str, count: u32) -> u32 {
    let h = fnv1a(&[repository.to_ascii_lowercase().as_bytes()]);
    (h % u64::from(count.max(1))) as u32 + 1
}

/// The shard (1-based) of a packet among `count`.
pub(crate) fn of(repository: Option<&str>, path: &str, count: u32) -> u32 {
    // A NUL cannot appear in a repository name or a path: the two never run together.
    let h = match repository {
        Some(r) => fnv1a(&[r.as_bytes(), b"\0", path.as_bytes()]),
        None => fnv1a(&[path.as_bytes()]),
    };
    (h % u64::from(count.max(1))) as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_what_is_no_shard() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse(), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/4", "5/4", "a/b", "1/0", "3", "-1/4", "1/4/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_hash_is_fixed() {
        // FNV-1a's published test vectors: a change to the hash would move every packet.
        assert_eq!(fnv1a(&[b""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(&[b"foobar"]), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn every_path_is_in_exactly_one_shard() {
        for n in 1..=5 {
            for i in 0..200 {
                let path = format!("packets/p{i}.yaml");
                let hits = (1..=n)
                    .filter(|&k| Shard { index: k, count: n }.contains(Some("o/r"), &path))
                    .count();
                assert_eq!(hits, 1, "{path} in {n} shards");
            }
        }
    }
}
