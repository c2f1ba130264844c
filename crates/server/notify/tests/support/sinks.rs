//! Loopback receivers: an HTTP server that answers as told and an SMTP sink, std only.
//! Shared by kabuto-notify's delivery tests and the server's notification tests.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, channel};
use std::thread;

/// One HTTP request as the receiver saw it; header names lowercased.
#[derive(Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// Answers every request with `status` and `body` and sends what it received.
pub fn http_receiver(status: u16, body: &'static str) -> (SocketAddr, Receiver<Recorded>) {
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    http_receiver_at(addr, vec![(status, body)])
}

/// Listens on `addr` (port 0: any free one) and answers the requests in turn with the
/// statuses and bodies of `answers`, the last one for every request after; sends each
/// request once answered. Stops when the test drops the receiving end.
pub fn http_receiver_at(
    addr: SocketAddr,
    answers: Vec<(u16, &'static str)>,
) -> (SocketAddr, Receiver<Recorded>) {
    let listener = TcpListener::bind(addr).expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (sender, receiver) = channel();
    thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let stream = stream.expect("accept");
            let recorded = read_request(&stream);
            let (status, body) = answers[n.min(answers.len() - 1)];
            let response = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            (&stream).write_all(response.as_bytes()).expect("respond");
            if sender.send(recorded).is_err() {
                return;
            }
        }
    });
    (addr, receiver)
}

fn read_request(stream: &TcpStream) -> Recorded {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).expect("request line");
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header line");
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    Recorded {
        method,
        path,
        headers,
        body,
    }
}

/// The envelope and data of one message the SMTP sink accepted.
#[derive(Debug)]
pub struct Mail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

/// Speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, QUIT) for one session; answers RCPT
/// with `rcpt_reply` (e.g. `250 OK` or `550 no such user`).
pub fn smtp_sink(rcpt_reply: &'static str) -> (SocketAddr, Receiver<Mail>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (sender, receiver) = channel();
    thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mail = smtp_session(&stream, rcpt_reply);
        sender.send(mail).expect("report");
    });
    (addr, receiver)
}

fn smtp_session(stream: &TcpStream, rcpt_reply: &str) -> Mail {
    let mut reader = BufReader::new(stream);
    let reply = |text: &str| {
        (&*stream)
            .write_all(format!("{text}\r\n").as_bytes())
            .expect("reply")
    };
    let mut mail = Mail {
        mail_from: String::new(),
        rcpt_to: Vec::new(),
        data: String::new(),
    };
    reply("220 sink.test ESMTP");
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("command") == 0 {
            return mail;
        }
        let command = line.trim_end();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => reply("250-sink.test\r\n250 8BITMIME"),
            "HELO" | "RSET" | "NOOP" => reply("250 OK"),
            "MAIL" => {
                mail.mail_from = command.to_owned();
                reply("250 OK");
            }
            "RCPT" => {
                mail.rcpt_to.push(command.to_owned());
                reply(rcpt_reply);
            }
            "DATA" => {
                reply("354 go ahead");
                mail.data = read_data(&mut reader);
                reply("250 queued");
            }
            "QUIT" => {
                reply("221 bye");
                return mail;
            }
            _ => reply("502 not implemented"),
        }
    }
}

fn read_data(reader: &mut impl BufRead) -> String {
    let mut data = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("data line") == 0 || line == ".\r\n" {
            return data;
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}
