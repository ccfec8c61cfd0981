//! The layers stay as the README draws them: handlers in `api` hold no SQL and open no transaction,
//! use cases in `app` write no SQL and know nothing of routes or handlers, the store knows no callers,
//! the domain is pure, no production file grows past 400 lines, and no two modules import each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each source file with its production code (everything before the first `#[cfg(test)]`), keyed by
/// its path below `src/`. Sibling test files (`*_tests.rs`) are left out.
fn production() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    all.into_iter()
        .filter(|p| !p.to_string_lossy().ends_with("_tests.rs"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("").to_owned();
            (p.strip_prefix(&src).unwrap().to_string_lossy().into_owned(), code)
        })
        .collect()
}

/// The module a file belongs to at the top level (`api`, `app`, `store`...).
fn layer(path: &str) -> &str {
    path.split('/').next().unwrap_or(path).trim_end_matches(".rs")
}

#[test]
fn each_layer_imports_only_what_it_may() {
    let forbidden: &[(&str, &[&str])] = &[
        // Handlers may name stored rows to turn them into views, but never query or open a transaction.
        ("api", &["diesel", "crate::db::schema", "DbConn", "db.run(", "db.write("]),
        ("app", &["crate::api", "crate::db::schema", "diesel::prelude", "actix_web::get", "utoipa::path"]),
        ("store", &["crate::api", "crate::app", "actix_web"]),
        ("domain", &["crate::api", "crate::app", "crate::store", "crate::db", "actix_web", "diesel"]),
    ];
    let mut wrong = Vec::new();
    for (path, code) in production() {
        for (l, words) in forbidden {
            if layer(&path) == *l {
                for w in *words {
                    if code.contains(w) {
                        wrong.push(format!("{path} uses {w}"));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn no_production_file_is_over_400_lines() {
    let long: Vec<String> = production()
        .into_iter()
        .filter(|(path, _)| path != "db/schema.rs")
        .map(|(path, code)| (path, code.lines().count()))
        .filter(|(_, n)| *n > 400)
        .map(|(path, n)| format!("{path}: {n}"))
        .collect();
    assert!(long.is_empty(), "split these along their seams:\n{}", long.join("\n"));
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, code) in production() {
        let from = layer(&path).to_owned();
        for part in code.split("crate::").skip(1) {
            let to: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !to.is_empty() && to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    let mut circles = Vec::new();
    for (a, targets) in &edges {
        for b in targets {
            if a < b && edges.get(b).is_some_and(|t| t.contains(a)) {
                circles.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}
