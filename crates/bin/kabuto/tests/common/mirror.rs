//! A static file server on loopback standing in for the upstream advisory feeds: files under
//! a directory at their upstream paths (the query string is ignored), each with one fixed
//! `Last-Modified`, answering `If-Modified-Since` with 304 as the real hosts do.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const LAST_MODIFIED: &str = "Sat, 05 Dec 2026 16:00:00 GMT";

pub struct Mirror {
    pub url: String,
    /// (path, status) of every request, in order.
    hits: Arc<Mutex<Vec<(String, u16)>>>,
}

impl Mirror {
    /// Serves `root` until the test process ends.
    pub fn serve(root: &Path) -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let hits = Arc::new(Mutex::new(Vec::new()));
        let (root, log) = (root.to_owned(), Arc::clone(&hits));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(hit) = answer(&root, stream) {
                    log.lock().expect("hits").push(hit);
                }
            }
        });
        Mirror { url, hits }
    }

    pub fn hits(&self) -> Vec<(String, u16)> {
        self.hits.lock().expect("hits").clone()
    }
}

fn answer(root: &Path, mut stream: TcpStream) -> Option<(String, u16)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let target = request_line.split_whitespace().nth(1)?.to_owned();
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let mut conditional = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line.trim().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        conditional |= lower.starts_with("if-modified-since:") && line.contains(LAST_MODIFIED);
    }
    let file: PathBuf = root.join(path.trim_start_matches('/'));
    let (status, body) = match std::fs::read(&file) {
        Ok(_) if conditional => (304, Vec::new()),
        Ok(body) => (200, body),
        Err(_) => (404, b"not found".to_vec()),
    };
    let reason = match status {
        200 => "OK",
        304 => "Not Modified",
        _ => "Not Found",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nLast-Modified: {LAST_MODIFIED}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(&body).ok()?;
    Some((path, status))
}
