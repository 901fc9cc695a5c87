//! The bookkeeping behind `CAPSTAN_FUZZ_LEAKS=avoid-known`: spotting the frames that would
//! trigger a known leak, so the fuzzer can keep looking for new ones.

use std::collections::{HashMap, HashSet};

use rpc_core::{
    Frame, Limits,
    codec::Codec,
    protocol::{Expr, Id, Message},
};

/// What the harness remembers to avoid the known bugs (see
/// [`LeakMode::AvoidKnown`](super::LeakMode::AvoidKnown)): which promises the peer has settled,
/// and with which other promises.
#[derive(Debug, Default)]
pub(super) struct KnownBugs {
    /// For each settled ID, the promise IDs its value named.
    edges: HashMap<Id, Vec<Id>>,
    /// For each export the peer has called, the readable ends (pipe IDs) it passed to it.
    pipe_edges: HashMap<Id, Vec<Id>>,
}

/// Whether `to` can reach `from` through `edges` (so adding `from -> to` closes a cycle).
fn reaches(edges: &HashMap<Id, Vec<Id>>, to: &[Id], from: Id) -> bool {
    let mut seen = HashSet::new();
    let mut stack = to.to_vec();
    while let Some(p) = stack.pop() {
        if p == from {
            return true;
        }
        if seen.insert(p) {
            stack.extend(edges.get(&p).into_iter().flatten());
        }
    }
    false
}

impl KnownBugs {
    /// Whether `frame` would trigger a known bug: it settles an ID with a value naming a promise
    /// from which that ID can be reached (a promise cycle); it names a promise ID the peer has
    /// settled before (re-introducing it while the server may still hold handles on the old
    /// one); or it passes a pipe's readable end to a call on that pipe, directly or through
    /// other pipes (a pipe whose queue holds its own reader). Otherwise records its edges.
    pub(super) fn triggers(&mut self, codec: &dyn Codec, frame: &Frame) -> bool {
        let Ok(message) = codec.decode(frame, &Limits::default()) else {
            return false;
        };
        let (settled, expr) = match &message {
            Message::Resolve(id, e) | Message::Reject(id, e) => (Some(*id), e),
            Message::Push(e) | Message::Stream(e) | Message::Abort(e) => (None, e),
            _ => return false,
        };
        let mut calls = Vec::new();
        calls_in(expr, &mut calls);
        for (target, readables) in &calls {
            if reaches(&self.pipe_edges, readables, *target) {
                return true;
            }
        }
        let mut named = Vec::new();
        promises_in(expr, &mut named);
        if named.iter().any(|p| self.edges.contains_key(p)) {
            return true;
        }
        if let Some(id) = settled {
            if reaches(&self.edges, &named, id) {
                return true;
            }
            self.edges.entry(id).or_default().extend(named);
        }
        for (target, readables) in calls {
            self.pipe_edges.entry(target).or_default().extend(readables);
        }
        false
    }
}

/// Every call in `expr`: its target ID and the readable ends (pipe IDs) in its arguments.
fn calls_in(expr: &Expr, out: &mut Vec<(Id, Vec<Id>)>) {
    walk(expr, |e| {
        if let Expr::Import(call) | Expr::Pipeline(call) = e {
            if let Some(args) = &call.args {
                let mut readables = Vec::new();
                for arg in args {
                    readables_in(arg, &mut readables);
                }
                out.push((call.id, readables));
            }
        }
    });
}

/// The IDs of every `["readable", id]` in `expr`.
fn readables_in(expr: &Expr, out: &mut Vec<Id>) {
    walk(expr, |e| {
        if let Expr::Readable(id) = e {
            out.push(*id);
        }
    });
}

/// The IDs of every `["promise", id]` in `expr`.
fn promises_in(expr: &Expr, out: &mut Vec<Id>) {
    walk(expr, |e| {
        if let Expr::Promise(id) = e {
            out.push(*id);
        }
    });
}

/// Visits `expr` and every expression inside it (call arguments, array items, object fields,
/// error properties, a remap's captures and instructions), without recursion: fuzz inputs nest
/// deeply.
fn walk<'a>(expr: &'a Expr, mut visit: impl FnMut(&'a Expr)) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        visit(e);
        match e {
            Expr::Import(call) | Expr::Pipeline(call) => stack.extend(call.args.iter().flatten()),
            Expr::Array(items) => stack.extend(items),
            Expr::Object(fields) => stack.extend(fields.iter().map(|(_, v)| v)),
            Expr::Error(err) => stack.extend(err.props.iter().flatten().map(|(_, v)| v)),
            Expr::Remap(remap) => {
                stack.extend(&remap.captures);
                stack.extend(&remap.instructions);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use rpc_core::codec::Json;

    use super::*;

    fn triggers(known: &mut KnownBugs, text: &str) -> bool {
        known.triggers(&Json, &Frame::Text(text.to_owned()))
    }

    #[test]
    fn promise_cycles_are_spotted() {
        let mut k = KnownBugs::default();
        assert!(triggers(&mut k, r#"["resolve",-1,["promise",-1]]"#));
        assert!(triggers(
            &mut k,
            r#"["reject",-3,[[1,{"a":["promise",-3]}]]]"#
        ));
        assert!(!triggers(&mut k, r#"["resolve",-1,["promise",-2]]"#));
        assert!(!triggers(&mut k, r#"["resolve",-2,["promise",-4]]"#));
        assert!(triggers(&mut k, r#"["resolve",-4,["promise",-1]]"#));
        assert!(!triggers(&mut k, r#"["resolve",-5,42]"#));
        assert!(!triggers(&mut k, r#"["pull",1]"#));
    }

    #[test]
    fn settled_promise_ids_are_not_reused() {
        let mut k = KnownBugs::default();
        assert!(!triggers(
            &mut k,
            r#"["push",["pipeline",0,["echo"],[["promise",-4]]]]"#
        ));
        assert!(!triggers(&mut k, r#"["resolve",-4,false]"#));
        assert!(triggers(
            &mut k,
            r#"["resolve",-9,["import",0,["slow"],[["promise",-4]]]]"#
        ));
        assert!(triggers(
            &mut k,
            r#"["push",["pipeline",0,["echo"],[["promise",-4]]]]"#
        ));
        assert!(!triggers(
            &mut k,
            r#"["push",["pipeline",0,["echo"],[["promise",-5]]]]"#
        ));
    }

    #[test]
    fn pipes_holding_their_own_readable_end_are_spotted() {
        let mut k = KnownBugs::default();
        let abort_self = r#"["push",["pipeline",1,["abort"],[["readable",1]]]]"#;
        assert!(triggers(&mut k, abort_self));
        let nested = r#"["stream",["pipeline",3,["write"],[[[["readable",3]]]]]]"#;
        assert!(triggers(&mut k, nested));
        let other = r#"["stream",["pipeline",1,["write"],[["readable",2]]]]"#;
        assert!(!triggers(&mut k, other));
        let main = r#"["stream",["pipeline",0,["sumStream"],[["readable",1]]]]"#;
        assert!(!triggers(&mut k, main));
        let back = r#"["stream",["pipeline",2,["write"],[["readable",1]]]]"#;
        assert!(triggers(&mut k, back));
    }
}
