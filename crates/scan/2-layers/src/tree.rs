//! The squashed view of an image: layers applied in order, with whiteouts.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::path::parent;
use crate::walk::{Entry, EntryKind};

/// What a path is in the squashed filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    File,
    Dir,
    /// Target as written in the layer (absolute or relative to the link's directory).
    Symlink(Box<str>),
    /// Target path relative to the image root.
    Hardlink(Box<str>),
    Other,
}

/// One path of the squashed filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Index of the layer (0 = base) whose entry is the visible one.
    pub layer: usize,
    pub kind: NodeKind,
    pub mode: u32,
    pub size: u64,
    pub uid: u64,
    pub gid: u64,
}

impl Node {
    fn implicit_dir(layer: usize) -> Self {
        Node {
            layer,
            kind: NodeKind::Dir,
            mode: 0o755,
            size: 0,
            uid: 0,
            gid: 0,
        }
    }

    pub fn is_dir(&self) -> bool {
        self.kind == NodeKind::Dir
    }
}

/// The changes one layer makes, recorded while walking it (so layers can be walked in
/// parallel) and applied to a [`FileTree`] in layer order afterwards.
#[derive(Debug, Clone, Default)]
pub struct LayerChanges {
    opaque_dirs: Vec<Box<str>>,
    whiteouts: Vec<Box<str>>,
    added: Vec<(Box<str>, Node)>,
}

impl LayerChanges {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one walked entry. `Other` entries (devices, fifos) are kept as nodes so
    /// they still hide what earlier layers had at their path.
    pub fn record(&mut self, entry: &Entry<'_>) {
        let kind = match entry.kind {
            EntryKind::Whiteout => return self.whiteouts.push(entry.path.into()),
            EntryKind::OpaqueDir => return self.opaque_dirs.push(entry.path.into()),
            EntryKind::File => NodeKind::File,
            EntryKind::Dir => NodeKind::Dir,
            EntryKind::Symlink { target } => NodeKind::Symlink(target.into()),
            EntryKind::Hardlink { target } => NodeKind::Hardlink(target.into()),
            EntryKind::Other => NodeKind::Other,
        };
        let node = Node {
            layer: 0,
            kind,
            mode: entry.mode,
            size: entry.size,
            uid: entry.uid,
            gid: entry.gid,
        };
        self.added.push((entry.path.into(), node));
    }

    /// Number of recorded entries (additions, whiteouts and opaque markers).
    pub fn len(&self) -> usize {
        self.opaque_dirs.len() + self.whiteouts.len() + self.added.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a path could not be resolved inside the image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("`{0}` does not exist in the image")]
    NotFound(String),
    #[error("`{0}` is not a directory")]
    NotADirectory(String),
    #[error("too many levels of symbolic links resolving `{0}`")]
    Loop(String),
}

/// A path after following symlinks and hardlinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'a> {
    /// The real path, relative to the image root.
    pub path: String,
    pub node: &'a Node,
}

/// Symlinks followed before giving up, as Linux's `MAXSYMLINKS`.
const MAX_LINK_HOPS: usize = 40;

/// What [`FileTree::visit_aliases`] could not follow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AliasReport {
    /// Symlinks that cannot be resolved: they loop, or nest links more than 40 deep.
    pub loops: Vec<String>,
    /// The link being listed when the budget ran out; later links were not followed.
    pub exhausted_at: Option<String>,
}

/// The squashed filesystem of an image: for every visible path, the layer that provides it
/// and what it is. Paths are image-relative (`usr/bin/env`); `""` is the root.
#[derive(Debug, Clone)]
pub struct FileTree {
    nodes: BTreeMap<Box<str>, Node>,
    root: Node,
}

impl Default for FileTree {
    fn default() -> Self {
        FileTree {
            nodes: BTreeMap::new(),
            root: Node::implicit_dir(0),
        }
    }
}

impl FileTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies the changes of layer `layer`. Call in layer order (base first): opaque
    /// directories hide earlier children, whiteouts delete earlier paths, then this layer's
    /// entries replace earlier ones (a directory over a directory keeps its children;
    /// anything else over a directory removes them).
    pub fn apply(&mut self, layer: usize, changes: LayerChanges) {
        for dir in &changes.opaque_dirs {
            self.remove_children(dir);
        }
        for path in &changes.whiteouts {
            self.remove_children(path);
            self.nodes.remove(path);
        }
        for (path, mut node) in changes.added {
            node.layer = layer;
            if path.is_empty() {
                if node.is_dir() {
                    self.root = node;
                }
                continue;
            }
            self.ensure_parent_dirs(&path, layer);
            match self.nodes.get(&path) {
                Some(old) if old.is_dir() && !node.is_dir() => self.remove_children(&path),
                _ => {}
            }
            self.nodes.insert(path, node);
        }
    }

    /// The entry at `path` without following symlinks (like `lstat`). `path` must be
    /// normalized as [`Entry::path`] is.
    pub fn get(&self, path: &str) -> Option<&Node> {
        if path.is_empty() {
            Some(&self.root)
        } else {
            self.nodes.get(path)
        }
    }

    /// Follows symlinks (in every component) and a final hardlink, inside the image only:
    /// absolute targets and `..` resolve against the image root, never the host.
    pub fn resolve(&self, path: &str) -> Result<Resolved<'_>, ResolveError> {
        let significant = |c: &&str| !c.is_empty() && *c != ".";
        let mut pending: Vec<&str> = path.rsplit('/').filter(significant).collect();
        let mut current = String::with_capacity(path.len());
        let mut node = &self.root;
        let mut hops = 0;
        while let Some(component) = pending.pop() {
            if component == ".." {
                current.truncate(parent(&current).len());
                node = self
                    .get(&current)
                    .ok_or_else(|| ResolveError::NotFound(current.clone()))?;
                continue;
            }
            if !node.is_dir() {
                return Err(ResolveError::NotADirectory(current));
            }
            let dir_len = current.len();
            if !current.is_empty() {
                current.push('/');
            }
            current.push_str(component);
            let found = self
                .nodes
                .get(current.as_str())
                .ok_or_else(|| ResolveError::NotFound(current.clone()))?;
            let target = match &found.kind {
                NodeKind::Symlink(target) => {
                    current.truncate(dir_len);
                    if target.starts_with('/') {
                        current.clear();
                    }
                    target
                }
                NodeKind::Hardlink(target) if pending.is_empty() => {
                    current.clear();
                    target
                }
                _ => {
                    node = found;
                    continue;
                }
            };
            hops += 1;
            if hops > MAX_LINK_HOPS {
                return Err(ResolveError::Loop(path.to_owned()));
            }
            pending.extend(target.rsplit('/').filter(significant));
            node = self
                .get(&current)
                .ok_or_else(|| ResolveError::NotFound(current.clone()))?;
        }
        Ok(Resolved {
            path: current,
            node,
        })
    }

    /// Calls `visit(name, file)` for every name that reaches a regular file through a
    /// symlink: each symlink to a file, and each file below a symlink to a directory,
    /// under the link's name (links nested below are followed the same way). Links
    /// resolve inside the image as in [`FileTree::resolve`]. A directory is not listed
    /// again through a link back into itself (those names repeat shorter ones), so cycles
    /// end; every entry listed counts against `budget`, which bounds link farms.
    pub fn visit_aliases(
        &self,
        mut budget: usize,
        mut visit: impl FnMut(&str, Resolved<'_>),
    ) -> AliasReport {
        let mut report = AliasReport::default();
        // (name through links, real directories being listed under that name)
        let mut pending: Vec<(String, Vec<String>)> = self
            .nodes
            .iter()
            .rev()
            .filter(|(_, node)| matches!(node.kind, NodeKind::Symlink(_)))
            .map(|(path, _)| (path.to_string(), Vec::new()))
            .collect();
        while let Some((alias, listing)) = pending.pop() {
            let resolved = match self.resolve(&alias) {
                Ok(resolved) => resolved,
                // Reported once, under the link's own path (nested names repeat it).
                Err(ResolveError::Loop(_)) if listing.is_empty() => {
                    report.loops.push(alias);
                    continue;
                }
                Err(_) => continue,
            };
            if resolved.node.kind == NodeKind::File {
                visit(&alias, resolved);
                continue;
            }
            if !resolved.node.is_dir() || listing.contains(&resolved.path) {
                continue;
            }
            if listing.len() >= MAX_LINK_HOPS {
                report.loops.push(alias);
                continue;
            }
            for (path, node) in self.descendants(&resolved.path) {
                if budget == 0 {
                    report.exhausted_at = Some(alias);
                    return report;
                }
                budget -= 1;
                let below = path[resolved.path.len()..].trim_start_matches('/');
                let name = format!("{alias}/{below}");
                match node.kind {
                    NodeKind::File => visit(
                        &name,
                        Resolved {
                            path: path.to_owned(),
                            node,
                        },
                    ),
                    NodeKind::Hardlink(_) => {
                        if let Ok(file) = self.resolve(path)
                            && file.node.kind == NodeKind::File
                        {
                            visit(&name, file);
                        }
                    }
                    NodeKind::Symlink(_) => {
                        let mut nested = listing.clone();
                        nested.push(resolved.path.clone());
                        pending.push((name, nested));
                    }
                    NodeKind::Dir | NodeKind::Other => {}
                }
            }
        }
        report
    }

    /// All visible paths (not the root) in byte order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(path, node)| (&**path, node))
    }

    /// Number of visible paths, not counting the root.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn ensure_parent_dirs(&mut self, path: &str, layer: usize) {
        let mut dir = parent(path);
        while !dir.is_empty() {
            match self.nodes.get(dir) {
                Some(node) if node.is_dir() => return,
                Some(_) => {
                    // A file or symlink from an earlier layer where this layer has a directory.
                    self.nodes.insert(dir.into(), Node::implicit_dir(layer));
                }
                None => {
                    self.nodes.insert(dir.into(), Node::implicit_dir(layer));
                }
            }
            dir = parent(dir);
        }
    }

    /// Everything below `dir` (not `dir` itself), in byte order.
    fn descendants(&self, dir: &str) -> impl Iterator<Item = (&str, &Node)> {
        // Children of `a/b` are exactly the keys in [`a/b/`, `a/b0`): '0' follows '/'.
        let (low, high) = if dir.is_empty() {
            (Bound::Unbounded, Bound::Unbounded)
        } else {
            (
                Bound::Included(format!("{dir}/")),
                Bound::Excluded(format!("{dir}0")),
            )
        };
        let bounds = (
            low.as_ref().map(String::as_str),
            high.as_ref().map(String::as_str),
        );
        self.nodes
            .range::<str, _>(bounds)
            .map(|(path, node)| (&**path, node))
    }

    /// Removes everything below `dir` (not `dir` itself).
    fn remove_children(&mut self, dir: &str) {
        if dir.is_empty() {
            self.nodes.clear();
            return;
        }
        let doomed: Vec<Box<str>> = self.descendants(dir).map(|(path, _)| path.into()).collect();
        for path in doomed {
            self.nodes.remove(&path);
        }
    }
}
