//! Keeps `docs/expand.md` honest: the expansion it shows must be what `#[rpc_interface]`
//! generates today.
//!
//! The test takes the interface from the page's first Rust block, expands it the way `cargo
//! expand` does (`rustc -Zunpretty=expanded`, which needs `RUSTC_BOOTSTRAP=1` on a stable
//! toolchain) against the `rpc_core` this test was built with, tidies it as the page does
//! (rustfmt, `#[doc]` attributes as `///` comments, derived impls folded back into
//! `#[derive]`), and compares it with the page's expansion block, ignoring whitespace, trailing
//! commas and `//` comments. On a mismatch it writes the fresh expansion next to the test's
//! temporary files and fails, saying where.

use std::path::{Path, PathBuf};
use std::process::Command;

const PAGE: &str = include_str!("../expand.md");
/// The marker line before the page's expansion block.
const EXPANSION_MARKER: &str = "<!-- expansion -->";
/// The comment line that ends the compared part of the expansion block.
const END_MARKER: &str = "// ---- end of the expansion ----";

#[test]
fn the_page_shows_what_the_macro_generates() {
    let blocks = rust_blocks(PAGE);
    let input = blocks
        .iter()
        .find(|b| !b.after_marker)
        .expect("the page starts with the interface, in a Rust block");
    let shown = blocks
        .iter()
        .find(|b| b.after_marker)
        .expect("the page has a block after `<!-- expansion -->`");
    let shown = visible_until_end(&shown.lines);

    let fresh = expand(&input.lines.join("\n"));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let fresh_path = dir.join("expand-fresh.rs");
    std::fs::write(&fresh_path, &fresh).unwrap();

    assert!(
        normalize(&fresh) == normalize(&shown),
        "docs/expand.md no longer matches what #[rpc_interface] generates.\n\
         The current expansion is in {}; update the page's expansion block from it.",
        fresh_path.display()
    );
}

/// The normalization must see through formatting but not through code.
#[test]
fn normalization_ignores_layout_only() {
    assert_eq!(
        normalize("fn f(a: u8,\n  b: u8,) {}"),
        normalize("fn f(a: u8, b: u8) {}")
    );
    assert_eq!(normalize("// a note\nstruct S;"), normalize("struct S;"));
    assert_ne!(normalize("/// Docs.\nstruct S;"), normalize("struct S;"));
    assert_ne!(normalize("fn f(a: u8) {}"), normalize("fn f(a: u16) {}"));
}

struct Block {
    /// Whether the block follows the expansion marker line.
    after_marker: bool,
    lines: Vec<String>,
}

/// The page's ```rust blocks (hidden `# ` lines included, with their `# ` removed).
fn rust_blocks(page: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    let mut previous = "";
    for line in page.lines() {
        match &mut current {
            None if line.starts_with("```rust") => {
                current = Some(Block {
                    after_marker: previous.trim() == EXPANSION_MARKER,
                    lines: Vec::new(),
                });
            }
            None => {}
            Some(_) if line.starts_with("```") => blocks.extend(current.take()),
            Some(block) => block.lines.push(line.to_owned()),
        }
        if !line.trim().is_empty() {
            previous = line;
        }
    }
    blocks
}

/// A block's visible lines, up to the end marker.
fn visible_until_end(lines: &[String]) -> String {
    lines
        .iter()
        .take_while(|l| l.trim() != END_MARKER)
        .filter(|l| !(l.trim() == "#" || l.trim_start().starts_with("# ")))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Text without whitespace, `//` comments (doc comments stay) or trailing commas.
fn normalize(code: &str) -> String {
    let kept: String = code
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.starts_with("//") || t.starts_with("///")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let squeezed: String = kept.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = String::with_capacity(squeezed.len());
    let chars: Vec<char> = squeezed.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ',' && matches!(chars.get(i + 1), Some(')' | ']' | '}' | '>')) {
            continue;
        }
        out.push(c);
    }
    out
}

/// The expansion of `source`, tidied as the page shows it.
fn expand(source: &str) -> String {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .expect("the test binary lives in target/<profile>/deps")
        .to_owned();
    let rpc_core = newest(&deps, "librpc_core-", &["rlib"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let input = dir.join("expand-input.rs");
    std::fs::write(&input, source).unwrap();

    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(rustc)
        .env("RUSTC_BOOTSTRAP", "1")
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--crate-name",
            "expand_input",
        ])
        .arg("-Zunpretty=expanded")
        .arg("-L")
        .arg(format!("dependency={}", deps.display()))
        .arg("--extern")
        .arg(format!("rpc_core={}", rpc_core.display()))
        .arg(&input)
        .output()
        .expect("rustc runs");
    assert!(
        output.status.success(),
        "rustc -Zunpretty=expanded failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expanded = String::from_utf8(output.stdout).unwrap();

    // Drop the prelude rustc adds and the input's own `use` lines: the generated items start
    // at the trait.
    let start = expanded
        .find("pub trait")
        .expect("the expansion has the trait");
    let formatted = rustfmt(&expanded[start..]);
    fold_derives(&doc_comments(&formatted))
}

/// The most recently built file in `dir` named `prefix…` with one of `extensions`.
fn newest(dir: &Path, prefix: &str, extensions: &[&str]) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(prefix) && extensions.iter().any(|x| name.ends_with(&format!(".{x}")))
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| panic!("no {prefix}* in {}", dir.display()))
        .path()
}

fn rustfmt(code: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("rustfmt runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(code.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "rustfmt failed");
    String::from_utf8(output.stdout).unwrap()
}

/// `#[doc = "…"]` / `#[doc = r"…"]` attributes, one per line after rustfmt, as `///` lines.
fn doc_comments(code: &str) -> String {
    let mut out = String::new();
    for line in code.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        match trimmed
            .strip_prefix("#[doc = ")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            Some(literal) => {
                for text in unquote(literal).split('\n') {
                    let space = if text.is_empty() || text.starts_with(' ') {
                        ""
                    } else {
                        " "
                    };
                    out.push_str(format!("{indent}///{space}{text}").trim_end());
                    out.push('\n');
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// The text of a string literal: raw (`r"…"`) or with `\n`, `\"`, `\\` and `\'` escapes.
fn unquote(literal: &str) -> String {
    if let Some(raw) = literal.strip_prefix("r\"") {
        return raw.strip_suffix('"').expect("a raw string").to_owned();
    }
    let inner = literal
        .strip_prefix('"')
        .and_then(|l| l.strip_suffix('"'))
        .expect("a string literal");
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Folds `#[automatically_derived] impl ::core::clone::Clone for X { … }` items back into a
/// `#[derive(Clone, …)]` on `X`. (The derived `Debug` calls a formatter method that is not
/// stable, so the unfolded text would not even compile.)
fn fold_derives(code: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let mut kept: Vec<String> = Vec::new();
    let mut derives: Vec<(String, String)> = Vec::new(); // (type, trait)
    let mut i = 0;
    while i < lines.len() {
        if lines[i] == "#[automatically_derived]" {
            let header = lines[i + 1];
            let (path, ty) = header
                .strip_prefix("impl ")
                .and_then(|h| h.split_once(" for "))
                .expect("a derived impl header");
            let name = path.rsplit("::").next().unwrap().to_owned();
            let ty = ty.trim_end_matches(" {").to_owned();
            derives.push((ty, name));
            i += 1;
            while lines[i] != "}" {
                i += 1;
            }
            i += 1;
            continue;
        }
        kept.push(lines[i].to_owned());
        i += 1;
    }
    let mut out = String::new();
    for line in kept {
        let derived: Vec<&str> = derives
            .iter()
            .filter(|(ty, _)| {
                line.starts_with(&format!("pub struct {ty}("))
                    || line == format!("pub struct {ty} {{")
            })
            .map(|(_, name)| name.as_str())
            .collect();
        if !derived.is_empty() {
            out.push_str(&format!("#[derive({})]\n", derived.join(", ")));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}
