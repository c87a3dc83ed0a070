//! The order links are started in, so the phase's time budget is shared fairly: a packet
//! citing many slow links must not leave another packet's evidence unchecked.
//!
//! Each packet hands over its links in one batch. Within a packet they are ranked: links in
//! fields (evidence) before links in prose, and within each, round-robin over hosts (the first
//! link on every host, then the second on every host, …). Across packets, ranks take turns:
//! every packet's first link starts before any packet's second one, and so on, so a packet
//! that arrives late still goes ahead of turns not yet started. A link cited by several packets
//! keeps its best place. A link is started only when a global slot and a slot on its host are
//! free; a link whose host is busy is passed over for the next one, so one slow host does not
//! hold up the others.

use std::collections::{BTreeMap, HashMap};

/// One link of a packet, as the link thread hands it over.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub(crate) key: String,
    /// `host:port`, the unit of the per-host limit.
    pub(crate) host: String,
    /// The per-host limit for that host.
    pub(crate) limit: usize,
    /// Cited in a field (evidence), not in prose.
    pub(crate) evidence: bool,
}

/// Lower starts first: prose after evidence, then the turn, then the packet's arrival, then
/// its place in the packet.
type Priority = (bool, usize, usize, usize);

#[derive(Debug, Default)]
pub(crate) struct Schedule {
    packets: usize,
    queue: BTreeMap<Priority, Link>,
    queued: HashMap<String, Priority>,
    active: usize,
    by_host: HashMap<String, usize>,
}

impl Schedule {
    /// Queues a packet's links (each new to the phase or already queued; never started ones).
    pub(crate) fn add_packet(&mut self, links: Vec<Link>) {
        let packet = self.packets;
        self.packets += 1;
        for (i, (rank, link)) in ranked(links).into_iter().enumerate() {
            let p = (!link.evidence, rank, packet, i);
            match self.queued.get(&link.key) {
                Some(old) if *old <= p => continue,
                Some(old) => {
                    self.queue.remove(old);
                }
                None => {}
            }
            self.queued.insert(link.key.clone(), p);
            self.queue.insert(p, link);
        }
    }

    /// The next link to start, if a global slot (of `concurrency`) and a slot on its host
    /// are free; it counts as running until [`Schedule::done`].
    pub(crate) fn next(&mut self, concurrency: usize) -> Option<Link> {
        if self.active >= concurrency {
            return None;
        }
        let p = *self
            .queue
            .iter()
            .find(|(_, l)| self.by_host.get(&l.host).copied().unwrap_or(0) < l.limit)?
            .0;
        let link = self.queue.remove(&p)?;
        self.queued.remove(&link.key);
        self.active += 1;
        *self.by_host.entry(link.host.clone()).or_insert(0) += 1;
        Some(link)
    }

    /// A link started on `host` has finished.
    pub(crate) fn done(&mut self, host: &str) {
        self.active = self.active.saturating_sub(1);
        if let Some(n) = self.by_host.get_mut(host) {
            *n = n.saturating_sub(1);
        }
    }

    /// Links queued and not yet started.
    pub(crate) fn waiting(&self) -> usize {
        self.queue.len()
    }
}

/// A packet's links with their turn: evidence and prose each ranked round-robin over hosts,
/// in the order the packet cites them. Repeats within the packet are dropped.
fn ranked(links: Vec<Link>) -> Vec<(usize, Link)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for evidence in [true, false] {
        // Per host, in the order hosts first appear: that host's links, in citation order.
        let mut hosts: Vec<(String, Vec<Link>)> = Vec::new();
        for link in links.iter().filter(|l| l.evidence == evidence) {
            if !seen.insert(link.key.clone()) {
                continue;
            }
            match hosts.iter_mut().find(|(h, _)| *h == link.host) {
                Some((_, ls)) => ls.push(link.clone()),
                None => hosts.push((link.host.clone(), vec![link.clone()])),
            }
        }
        let mut turn = 0;
        let mut rank = 0;
        loop {
            let mut any = false;
            for (_, ls) in &hosts {
                if let Some(l) = ls.get(turn) {
                    out.push((rank, l.clone()));
                    rank += 1;
                    any = true;
                }
            }
            if !any {
                break;
            }
            turn += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(key: &str, host: &str, evidence: bool) -> Link {
        Link {
            key: key.into(),
            host: host.into(),
            limit: 1,
            evidence,
        }
    }

    fn drain(s: &mut Schedule) -> Vec<String> {
        let mut order = Vec::new();
        while let Some(l) = s.next(1) {
            s.done(&l.host);
            order.push(l.key);
        }
        order
    }

    #[test]
    fn every_packet_gets_a_turn_before_any_gets_a_second() {
        let mut s = Schedule::default();
        s.add_packet(vec![
            link("a1", "x", true),
            link("a2", "x", true),
            link("a3", "y", true),
            link("a-prose", "x", false),
        ]);
        s.add_packet(vec![link("b1", "x", true), link("b-prose", "z", false)]);
        // a's own order is a1, a3 (another host), a2; evidence before prose.
        assert_eq!(
            drain(&mut s),
            ["a1", "b1", "a3", "a2", "a-prose", "b-prose"]
        );
    }

    #[test]
    fn a_shared_link_keeps_its_best_place_and_busy_hosts_are_passed_over() {
        let mut s = Schedule::default();
        s.add_packet(vec![link("a1", "x", true), link("shared", "x", false)]);
        s.add_packet(vec![link("shared", "x", true)]);
        assert_eq!(s.waiting(), 2);
        let first = s.next(4).unwrap();
        assert_eq!(first.key, "a1");
        // Host x is full (limit 1): nothing else may start there.
        assert!(s.next(4).is_none());
        s.add_packet(vec![link("other", "y", true)]);
        assert_eq!(s.next(4).unwrap().key, "other");
        s.done("x");
        assert_eq!(s.next(4).unwrap().key, "shared");
    }
}
