//! Names of files through symlinks in the squashed tree ([`FileTree::visit_aliases`]):
//! fixed cases, and random trees of links that must never resolve outside the tree,
//! loop forever or list more than the budget allows.
#![allow(clippy::unwrap_used)] // test helpers build known-good trees

use kabuto_layers::{AliasReport, Entry, EntryKind, FileTree, LayerChanges, NodeKind};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Item {
    File(String),
    Dir(String),
    Symlink(String, String),
}

fn tree_of(layers: &[Vec<Item>]) -> FileTree {
    let mut tree = FileTree::new();
    for (index, items) in layers.iter().enumerate() {
        let mut changes = LayerChanges::new();
        for item in items {
            let (path, kind) = match item {
                Item::File(path) => (path, EntryKind::File),
                Item::Dir(path) => (path, EntryKind::Dir),
                Item::Symlink(path, target) => (path, EntryKind::Symlink { target }),
            };
            changes.record(&Entry {
                path,
                kind,
                mode: 0o644,
                size: 1,
                uid: 0,
                gid: 0,
                mtime: 0,
            });
        }
        tree.apply(index, changes);
    }
    tree
}

fn file(path: &str) -> Item {
    Item::File(path.into())
}

fn link(path: &str, target: &str) -> Item {
    Item::Symlink(path.into(), target.into())
}

/// (name, real path, layer) of every alias, sorted, and the report.
fn aliases(tree: &FileTree, budget: usize) -> (Vec<(String, String, usize)>, AliasReport) {
    let mut seen = Vec::new();
    let report = tree.visit_aliases(budget, |name, file| {
        seen.push((name.to_owned(), file.path, file.node.layer));
    });
    seen.sort();
    (seen, report)
}

fn names(found: &[(String, String, usize)]) -> Vec<&str> {
    found.iter().map(|(name, ..)| name.as_str()).collect()
}

#[test]
fn a_directory_link_names_every_file_below_its_target() {
    for target in ["../../opt/dpkg", "/opt/dpkg", "/../../opt/./dpkg/"] {
        let tree = tree_of(&[vec![
            link("var/lib/dpkg", target),
            file("opt/dpkg/status"),
            file("opt/dpkg/info/x.list"),
        ]]);
        let (found, report) = aliases(&tree, 100);
        assert_eq!(
            names(&found),
            ["var/lib/dpkg/info/x.list", "var/lib/dpkg/status"],
            "{target}"
        );
        assert_eq!(found[1].1, "opt/dpkg/status");
        assert_eq!(report, AliasReport::default());
    }
}

#[test]
fn chains_layers_and_file_links() {
    let tree = tree_of(&[
        vec![
            link("var/lib/dpkg", "/srv/a"),
            link("srv/a", "b"),
            link("srv/b", "../opt/db"),
        ],
        vec![
            file("opt/db/status"),
            link("etc/os-release", "../opt/db/status"),
        ],
    ]);
    let (found, report) = aliases(&tree, 100);
    assert_eq!(
        found,
        [
            ("etc/os-release".into(), "opt/db/status".into(), 1),
            ("srv/a/status".into(), "opt/db/status".into(), 1),
            ("srv/b/status".into(), "opt/db/status".into(), 1),
            ("var/lib/dpkg/status".into(), "opt/db/status".into(), 1),
        ]
    );
    assert!(report.loops.is_empty());
}

#[test]
fn loops_are_reported_and_cycles_end() {
    let tree = tree_of(&[vec![
        link("var/lib/dpkg", "../../opt/dpkg"),
        link("opt/dpkg", "../var/lib/dpkg"),
        // A link back to its own directory (Debian's `usr/bin/X11 -> .`) is a cycle, not a loop.
        file("usr/bin/ls"),
        link("usr/bin/X11", "."),
    ]]);
    let (found, report) = aliases(&tree, 100);
    assert_eq!(report.loops, ["opt/dpkg", "var/lib/dpkg"]);
    assert_eq!(names(&found), ["usr/bin/X11/ls"]);
}

#[test]
fn the_budget_stops_a_link_farm() {
    let mut items: Vec<Item> = (0..50).map(|i| file(&format!("usr/f{i}"))).collect();
    items.extend((0..50).map(|i| link(&format!("l{i}"), "usr")));
    let tree = tree_of(&[items]);
    let (found, report) = aliases(&tree, 120);
    assert_eq!(found.len(), 120);
    // Links are followed in path order: l0, l1, then l10 runs out.
    assert_eq!(report.exhausted_at.as_deref(), Some("l10"));
}

fn component() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("a"),
        Just("b"),
        Just("c"),
        Just(".."),
        Just("."),
        Just("")
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![Just("a"), Just("b"), Just("c")], 1..4)
        .prop_map(|parts| parts.join("/"))
}

fn target() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(component(), 0..5)).prop_map(|(absolute, parts)| {
        let joined = parts.join("/");
        if absolute {
            format!("/{joined}")
        } else {
            joined
        }
    })
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        path().prop_map(Item::File),
        path().prop_map(Item::Dir),
        (path(), target()).prop_map(|(p, t)| Item::Symlink(p, t)),
    ]
}

fn normalized(path: &str) -> bool {
    path.is_empty()
        || path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

proptest! {
    #[test]
    fn aliases_stay_in_the_tree_and_within_budget(
        layers in prop::collection::vec(prop::collection::vec(item(), 0..12), 1..3),
        budget in 0usize..200,
        probe in prop::collection::vec(component(), 0..8),
    ) {
        let tree = tree_of(&layers);
        let links = tree.iter().filter(|(_, n)| matches!(n.kind, NodeKind::Symlink(_))).count();
        let mut visits = 0;
        tree.visit_aliases(budget, |name, file| {
            visits += 1;
            assert_eq!(file.node.kind, NodeKind::File);
            assert!(normalized(&file.path), "{:?}", file.path);
            assert_eq!(tree.get(&file.path), Some(file.node));
            let again = tree.resolve(name).unwrap();
            assert_eq!(again.path, file.path, "{name}");
        });
        prop_assert!(visits <= budget + links);
        // Any path, `..` and absolute links included, resolves to an entry of the tree.
        if let Ok(resolved) = tree.resolve(&probe.join("/")) {
            prop_assert!(normalized(&resolved.path));
            prop_assert!(tree.get(&resolved.path).is_some());
        }
    }
}
