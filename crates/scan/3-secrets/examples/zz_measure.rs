use regex::bytes::RegexBuilder;
use std::time::Instant;

fn min_size(p: &str) -> usize {
    let (mut lo, mut hi) = (1usize, 64 << 20);
    if RegexBuilder::new(p).size_limit(hi).build().is_err() { return usize::MAX; }
    while lo < hi {
        let mid = (lo + hi) / 2;
        if RegexBuilder::new(p).size_limit(mid).build().is_ok() { hi = mid } else { lo = mid + 1 }
    }
    lo
}

fn main() {
    let pats: Vec<String> = std::env::args().skip(1).collect();
    for p in &pats {
        let s = min_size(p);
        println!("{s:>10}  {p}");
    }
    if let Ok(n) = std::env::var("TIME_ON") {
        let n: usize = n.parse().unwrap();
        let hay = std::env::var("HAY").unwrap_or("a".into());
        let text = hay.repeat(n / hay.len());
        for p in &pats {
            let r = RegexBuilder::new(p).size_limit(64<<20).build().unwrap();
            let t = Instant::now();
            let c = r.captures_iter(text.as_bytes()).take(20000).count();
            println!("{:?} matches={c} {p}", t.elapsed());
        }
    }
}
