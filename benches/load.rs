//! The HTTP client of `scripts/bench/run`: a few setup calls (register, log in, follow a cursor) and
//! sequential latency runs over one keep-alive connection. Plain HTTP/1.1 over a socket, so that the
//! client adds as little as possible to what it measures; throughput runs use wrk.
//!
//! Built by `cargo bench --bench load --no-run` and called by path with one of:
//!
//! ```text
//! load wait URL SECONDS                      until URL answers 200
//! load http METHOD URL [--token T] [--json BODY] [--expect STATUS,...] [--pick POINTER] [--each POINTER]
//! load follow URL --token T --pages N        page reached (N or the last), its cursor, due date, id
//! load seq [--token T] [--header 'K: V']... --warmup W --count N URL...
//!                                            p50 p95 p99 mean in ms; URLs are used in turn
//! ```
//!
//! `--rate R` on `seq` sends open-loop instead: requests start on a fixed schedule, over as many
//! connections as needed, and latency counts from each scheduled start.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::exit;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;

const IO_TIMEOUT: Duration = Duration::from_secs(30);

struct Url {
    addr: String,
    path: String,
}

fn parse_url(url: &str) -> Url {
    let rest = url.strip_prefix("http://").unwrap_or_else(|| fail(&format!("only http:// URLs: {url}")));
    let (addr, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    Url { addr: addr.to_owned(), path: path.to_owned() }
}

fn fail(msg: &str) -> ! {
    eprintln!("load: {msg}");
    exit(1)
}

struct Response {
    status: u16,
    body: Vec<u8>,
    close: bool,
}

/// One keep-alive HTTP/1.1 connection, reopened when the server closes it.
struct Conn {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    fn new(addr: &str) -> Self {
        Self { addr: addr.to_owned(), stream: None }
    }

    fn send(&mut self, request: &[u8]) -> std::io::Result<Response> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(IO_TIMEOUT))?;
            s.set_write_timeout(Some(IO_TIMEOUT))?;
            self.stream = Some(BufReader::new(s));
        }
        let r = self.stream.as_mut().expect("connected");
        let res = r.get_mut().write_all(request).and_then(|_| read_response(r));
        match &res {
            Ok(res) if !res.close => {}
            _ => self.stream = None,
        }
        res
    }
}

fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<Response> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(bad("connection closed"));
    }
    let status: u16 =
        line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad(&line))?;
    let (mut length, mut chunked, mut close) = (None, false, false);
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase());
            match k.as_str() {
                "content-length" => length = v.parse::<usize>().ok(),
                "transfer-encoding" => chunked = v.contains("chunked"),
                "connection" => close = v == "close",
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| bad("chunk size"))?;
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            line.clear();
            r.read_line(&mut line)?;
            if size == 0 {
                break;
            }
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else {
        r.read_to_end(&mut body)?;
        close = true;
    }
    Ok(Response { status, body, close })
}

fn request(method: &str, url: &Url, headers: &[String], body: Option<&str>) -> Vec<u8> {
    let mut s = format!("{method} {} HTTP/1.1\r\nHost: {}\r\n", url.path, url.addr);
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    if let Some(b) = body {
        s.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
    }
    s.push_str("\r\n");
    if let Some(b) = body {
        s.push_str(b);
    }
    s.into_bytes()
}

struct Args {
    positional: Vec<String>,
    token: Option<String>,
    headers: Vec<String>,
    json: Option<String>,
    expect: Vec<u16>,
    pick: Option<String>,
    each: Option<String>,
    pages: usize,
    warmup: usize,
    count: usize,
    rate: Option<f64>,
}

fn parse_args(raw: Vec<String>) -> Args {
    let mut a = Args {
        positional: Vec::new(),
        token: None,
        headers: Vec::new(),
        json: None,
        expect: Vec::new(),
        pick: None,
        each: None,
        pages: 1,
        warmup: 0,
        count: 1,
        rate: None,
    };
    let mut it = raw.into_iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| fail(&format!("{arg} needs a value")));
        let number = |v: String| v.parse::<usize>().unwrap_or_else(|_| fail(&format!("not a number: {v}")));
        match arg.as_str() {
            "--token" => a.token = Some(value()),
            "--header" => a.headers.push(value()),
            "--json" => a.json = Some(value()),
            "--expect" => a.expect = value().split(',').map(|s| number(s.trim().to_owned()) as u16).collect(),
            "--pick" => a.pick = Some(value()),
            "--each" => a.each = Some(value()),
            "--pages" => a.pages = number(value()),
            "--warmup" => a.warmup = number(value()),
            "--count" => a.count = number(value()),
            "--rate" => a.rate = Some(value().parse().unwrap_or_else(|_| fail("--rate needs a number"))),
            // `cargo bench` passes this to every bench target.
            "--bench" => {}
            _ => a.positional.push(arg),
        }
    }
    if let Some(t) = &a.token {
        a.headers.push(format!("Authorization: Bearer {t}"));
    }
    a
}

fn print_value(v: &Value) {
    match v {
        Value::String(s) => println!("{s}"),
        other => println!("{other}"),
    }
}

fn http(a: &Args) {
    let [method, url] = &a.positional[1..] else { fail("http METHOD URL") };
    let url = parse_url(url);
    let mut conn = Conn::new(&url.addr);
    let res = conn
        .send(&request(method, &url, &a.headers, a.json.as_deref()))
        .unwrap_or_else(|e| fail(&format!("{method} {}: {e}", url.path)));
    let text = String::from_utf8_lossy(&res.body);
    if !a.expect.is_empty() && !a.expect.contains(&res.status) {
        fail(&format!("{method} {}: {} (expected {:?}): {text}", url.path, res.status, a.expect));
    }
    let Some(pick) = &a.pick else {
        println!("{text}");
        return;
    };
    let json: Value =
        serde_json::from_slice(&res.body).unwrap_or_else(|_| fail(&format!("not JSON: {text}")));
    let v = json.pointer(pick).unwrap_or_else(|| fail(&format!("no {pick} in {text}")));
    match (&a.each, v) {
        (Some(each), Value::Array(items)) => {
            for item in items {
                print_value(item.pointer(each).unwrap_or_else(|| fail(&format!("no {each} in {item}"))));
            }
        }
        (Some(_), _) => fail(&format!("{pick} is not an array")),
        (None, v) => print_value(v),
    }
}

fn get_json(conn: &mut Conn, url: &Url, headers: &[String]) -> Value {
    let res = conn
        .send(&request("GET", url, headers, None))
        .unwrap_or_else(|e| fail(&format!("{}: {e}", url.path)));
    if res.status != 200 {
        fail(&format!("GET {}: {} {}", url.path, res.status, String::from_utf8_lossy(&res.body)));
    }
    serde_json::from_slice(&res.body).unwrap_or_else(|_| fail("not JSON"))
}

/// Walks the list up to page `--pages` (or its last page, if that comes first) and prints the page
/// number reached, the cursor that fetches it (`-` for page 1), and the due date and id it holds.
fn follow(a: &Args) {
    let [url] = &a.positional[1..] else { fail("follow URL") };
    let base = parse_url(url);
    let mut conn = Conn::new(&base.addr);
    let (mut page, mut cursor) = (1, None::<String>);
    while page < a.pages {
        let mut url = Url { addr: base.addr.clone(), path: base.path.clone() };
        if let Some(c) = &cursor {
            url.path.push_str(if url.path.contains('?') { "&cursor=" } else { "?cursor=" });
            url.path.push_str(c);
        }
        match get_json(&mut conn, &url, &a.headers)["next_cursor"].as_str() {
            Some(next) => {
                cursor = Some(next.to_owned());
                page += 1;
            }
            None => break,
        }
    }
    println!("{page}");
    let Some(cursor) = cursor else {
        println!("-\n-\n-");
        return;
    };
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&cursor)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .unwrap_or_else(|| fail("cursor is not base64 JSON"));
    println!("{cursor}");
    print_value(&decoded["k"]);
    print_value(&decoded["id"]);
}

fn wait(a: &Args) {
    let [url, seconds] = &a.positional[1..] else { fail("wait URL SECONDS") };
    let url = parse_url(url);
    let deadline = Instant::now() + Duration::from_secs(seconds.parse().unwrap_or(60));
    while Instant::now() < deadline {
        if let Ok(res) = Conn::new(&url.addr).send(&request("GET", &url, &[], None))
            && res.status == 200
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    fail(&format!("{} did not answer within {seconds} s", url.path));
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Sequential requests over one connection; with `--rate`, open-loop over a pool of connections.
fn seq(a: &Args) {
    let urls: Vec<Url> = a.positional[1..].iter().map(|u| parse_url(u)).collect();
    if urls.is_empty() {
        fail("seq URL...");
    }
    let requests: Vec<Vec<u8>> = urls.iter().map(|u| request("GET", u, &a.headers, None)).collect();
    let addr = urls[0].addr.clone();
    let check = |res: std::io::Result<Response>, i: usize| match res {
        Ok(r) if r.status == 200 => {}
        Ok(r) => fail(&format!("GET {}: {} {}", urls[i].path, r.status, String::from_utf8_lossy(&r.body))),
        Err(e) => fail(&format!("GET {}: {e}", urls[i].path)),
    };
    let mut conn = Conn::new(&addr);
    for i in 0..a.warmup {
        let k = i % requests.len();
        check(conn.send(&requests[k]), k);
    }
    let mut times = Vec::with_capacity(a.count);
    match a.rate {
        None => {
            for i in 0..a.count {
                let k = i % requests.len();
                let t = Instant::now();
                let res = conn.send(&requests[k]);
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                check(res, k);
            }
        }
        Some(rate) => {
            // Idle connections wait in a pool; a request that finds none opens one, so a slow answer
            // never delays the next scheduled start.
            let (idle_tx, idle_rx) = mpsc::channel::<Conn>();
            idle_tx.send(conn).expect("pool");
            let (done_tx, done_rx) = mpsc::channel::<(usize, std::io::Result<Response>, f64)>();
            let start = Instant::now();
            let interval = Duration::from_secs_f64(1.0 / rate);
            for i in 0..a.count {
                let scheduled = start + interval * i as u32;
                if let Some(wait) = scheduled.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let k = i % requests.len();
                let mut c = idle_rx.try_recv().unwrap_or_else(|_| Conn::new(&addr));
                let (req, idle_tx, done_tx) = (requests[k].clone(), idle_tx.clone(), done_tx.clone());
                std::thread::spawn(move || {
                    let res = c.send(&req);
                    let ms = scheduled.elapsed().as_secs_f64() * 1000.0;
                    let _ = idle_tx.send(c);
                    let _ = done_tx.send((k, res, ms));
                });
            }
            drop(done_tx);
            for (k, res, ms) in done_rx {
                times.push(ms);
                check(res, k);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "{:.2} {:.2} {:.2} {:.2}",
        percentile(&times, 0.50),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        mean
    );
}

fn main() {
    let args = parse_args(std::env::args().skip(1).collect());
    // `cargo test --all-targets` runs bench targets too, with no arguments: nothing to do then.
    let Some(cmd) = args.positional.first() else { return };
    match cmd.as_str() {
        "wait" => wait(&args),
        "http" => http(&args),
        "follow" => follow(&args),
        "seq" => seq(&args),
        other => fail(&format!("unknown command {other}")),
    }
}
