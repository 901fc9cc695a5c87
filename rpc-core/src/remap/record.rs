//! Recording a `.map()` closure: run it once on placeholders and keep what it did.
//!
//! While a closure is being recorded, every call it makes on a stub or promise is written down
//! as an instruction instead of being sent. The element is variable `0`, each instruction's
//! result the next variable, and every stub the closure uses from outside becomes a capture
//! (`-1`, `-2`, …). A map recorded inside another map captures from its parent's variables.

use std::{
    cell::RefCell,
    sync::atomic::{AtomicU64, Ordering},
};

use super::{Mapper, apply};
use crate::{
    RpcError, RpcPromise,
    pending::Pending,
    promise::Source,
    protocol::{ErrorExpr, Expr, Id, PathKey, RemapExpr},
    stub::Hook,
    value::Value,
};

/// A placeholder for a value inside a closure being recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Variable {
    recording: u64,
    index: Id,
}

enum Capture {
    /// A stub or promise from outside every recording.
    Value(Value),
    /// A variable of the parent recording.
    Parent(Id),
}

struct Recording {
    id: u64,
    captures: Vec<Capture>,
    instructions: Vec<Expr>,
}

thread_local! {
    static STACK: RefCell<Vec<Recording>> = const { RefCell::new(Vec::new()) };
}

/// True while a closure is being recorded on this thread.
pub(crate) fn active() -> bool {
    STACK.with(|s| !s.borrow().is_empty())
}

fn variable_promise(variable: Variable) -> RpcPromise {
    RpcPromise::new(Source::Variable(variable), Vec::new())
}

/// Records a call (or property read) on `target`, returning the placeholder for its result.
pub(crate) fn record(target: &Value, path: Vec<PathKey>, args: Option<Vec<Value>>) -> RpcPromise {
    STACK.with(|s| {
        let mut stack = s.borrow_mut();
        let level = stack.len() - 1;
        let subject = capture(&mut stack, level, target);
        let args = args.map(|a| a.iter().map(|v| expr(&mut stack, level, v)).collect());
        let top = &mut stack[level];
        top.instructions
            .push(Expr::pipeline(subject, Some(path), args));
        variable_promise(Variable {
            recording: top.id,
            index: top.instructions.len() as Id,
        })
    })
}

/// The index of `value` in the recording at `level`, capturing it (and, for nested recordings,
/// capturing it in the parents first) if it is not one of that recording's own variables.
fn capture(stack: &mut [Recording], level: usize, value: &Value) -> Id {
    if let Some(var) = as_variable(value) {
        if var.recording == stack[level].id {
            return var.index;
        }
    }
    let captured = if level == 0 {
        Capture::Value(value.clone())
    } else {
        Capture::Parent(capture(stack, level - 1, value))
    };
    let recording = &mut stack[level];
    recording.captures.push(captured);
    -(recording.captures.len() as Id)
}

fn as_variable(value: &Value) -> Option<Variable> {
    let promise = match value {
        Value::Promise(p) => p,
        Value::Stub(s) => match &s.0 {
            Hook::Promised(p) => p,
            _ => return None,
        },
        _ => return None,
    };
    match (&promise.source, promise.path.is_empty()) {
        (Source::Variable(v), true) => Some(*v),
        _ => None,
    }
}

/// A value as an instruction operand: references become variables, data stays data.
fn expr(stack: &mut [Recording], level: usize, value: &Value) -> Expr {
    match value {
        Value::Promise(p) if !p.path.is_empty() => {
            let base = crate::RpcPromise::new(p.source.clone(), Vec::new());
            let index = capture(stack, level, &Value::Promise(base));
            Expr::pipeline(index, Some(p.path.clone()), None)
        }
        Value::Promise(_) => Expr::pipeline(capture(stack, level, value), None, None),
        Value::Stub(_) => Expr::import(capture(stack, level, value), None, None),
        Value::Array(items) => Expr::Array(items.iter().map(|v| expr(stack, level, v)).collect()),
        Value::Object(o) => Expr::Object(
            o.iter()
                .map(|(k, v)| (k.to_owned(), expr(stack, level, v)))
                .collect(),
        ),
        Value::Error(e) => {
            let props = e.wire_props();
            let props = (!props.is_empty()).then(|| {
                props
                    .iter()
                    .map(|(k, v)| (k.to_owned(), expr(stack, level, v)))
                    .collect()
            });
            Expr::Error(Box::new(ErrorExpr {
                name: e.name().to_owned(),
                message: e.message().to_owned(),
                stack: e.stack().map(str::to_owned),
                props,
            }))
        }
        scalar => crate::session::scalar_expr(scalar),
    }
}

/// Pops the recording even if the closure panics.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        STACK.with(|s| s.borrow_mut().pop());
    }
}

/// Maps `subject` at `path` with `f`, recording `f` once.
pub(crate) fn map(
    subject: &RpcPromise,
    f: impl FnOnce(RpcPromise) -> Result<Value, RpcError>,
) -> RpcPromise {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    STACK.with(|s| {
        s.borrow_mut().push(Recording {
            id,
            captures: Vec::new(),
            instructions: Vec::new(),
        })
    });
    let guard = Guard;
    let input = variable_promise(Variable {
        recording: id,
        index: 0,
    });
    let result = f(input);
    let finished = STACK.with(|s| {
        let mut stack = s.borrow_mut();
        let level = stack.len() - 1;
        let result = result.map(|v| expr(&mut stack, level, &v));
        let recording = stack.pop().expect("pushed above");
        result.map(|last| {
            let mut instructions = recording.instructions;
            instructions.push(last);
            (recording.captures, instructions)
        })
    });
    std::mem::forget(guard);
    let (captures, instructions) = match finished {
        Ok(done) => done,
        Err(e) => return RpcPromise::rejected(e),
    };
    let subject_value = Value::Promise(RpcPromise::new(subject.source.clone(), Vec::new()));
    if active() {
        return nested(&subject_value, subject.path.clone(), captures, instructions);
    }
    let captures: Vec<Value> = captures
        .into_iter()
        .map(|c| match c {
            Capture::Value(v) => v,
            Capture::Parent(_) => unreachable!("a top-level recording has no parent"),
        })
        .collect();
    match &subject.source {
        Source::Remote { import, .. } => {
            let path = subject.path.clone();
            import
                .session
                .push_remap(import.id, path, captures, instructions)
        }
        Source::Local(pending) => local(
            pending.clone(),
            subject.path.clone(),
            captures,
            instructions,
        ),
        Source::Variable(_) => unreachable!("a variable is only mapped while recording"),
    }
}

/// A map inside a map: it becomes one instruction of the parent.
fn nested(
    subject: &Value,
    path: Vec<PathKey>,
    captures: Vec<Capture>,
    instructions: Vec<Expr>,
) -> RpcPromise {
    STACK.with(|s| {
        let mut stack = s.borrow_mut();
        let level = stack.len() - 1;
        let subject = capture(&mut stack, level, subject);
        let captures = captures
            .into_iter()
            .map(|c| match c {
                Capture::Parent(i) => Expr::import(i, None, None),
                Capture::Value(_) => unreachable!("a nested recording captures from its parent"),
            })
            .collect();
        let top = &mut stack[level];
        top.instructions.push(Expr::Remap(Box::new(RemapExpr {
            id: subject,
            path,
            captures,
            instructions,
        })));
        variable_promise(Variable {
            recording: top.id,
            index: top.instructions.len() as Id,
        })
    })
}

/// Mapping a result that is already here: replay the recording locally.
fn local(
    pending: Pending,
    path: Vec<PathKey>,
    captures: Vec<Value>,
    instructions: Vec<Expr>,
) -> RpcPromise {
    let mapper = Mapper::new(
        captures,
        instructions,
        crate::Limits::default().max_map_elements,
    );
    RpcPromise::from_future(async move {
        let subject = pending.wait().await?;
        apply(subject, path, mapper).await
    })
}
